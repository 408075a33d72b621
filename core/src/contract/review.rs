//! The review contract: what every [`ReviewStore`] must do. Files across owners by status
//! (newest first by creation time), within one owner or one link (newest first by id), pages
//! that neither skip nor repeat; a file and a link found by id alone, whoever owns them; every
//! link across owners. Run on the fake (`core/tests/contract.rs`) and the DynamoDB adapter
//! (`local/tests/stack/infra_review.rs`). The store may hold other checks' things: each check
//! looks only at its own (`<prefix>-...`).

use chrono::{DateTime, TimeDelta, Utc};

use super::link_fixtures::{Stores, drop_via, dropped, file_id, link, link_id, ms, owner};
use crate::files::Settlement;
use crate::links::DropReservation;
use crate::review::{ReviewCursor, ReviewFilter, ReviewScope, ReviewStore};
use crate::{FileId, FileRecord, FileStatus, OwnerId};

/// Every check, each on owners of its own under `prefix`.
pub async fn check_all(s: Stores<'_>, r: &dyn ReviewStore, prefix: &str, now: DateTime<Utc>) {
    files_are_found_by_status_owner_and_link_newest_first(s, r, prefix, now).await;
    links_are_found_across_owners_and_by_id(s, r, prefix, now).await;
}

/// Moves `f` (pending) through scanning to `status`.
async fn settle_to(r: &dyn ReviewStore, f: &FileRecord, status: FileStatus, at: DateTime<Utc>) {
    let mut f = f.clone();
    for next in [FileStatus::Scanning, status] {
        if f.status == next {
            continue;
        }
        let st = Settlement {
            status: next,
            detected_type: Some("application/pdf".into()),
            reason: (next == FileStatus::Rejected).then(|| "malware".to_owned()),
            at,
            stored_size: Some(f.size),
            stored_etag: Some("etag".into()),
            give_back_link: false,
            scan: None,
        };
        assert!(r.settle(&f, &st).await.unwrap(), "{} -> {next:?}", f.id);
        f.status = next;
    }
}

/// Every page of `filter`, `limit` at a time: only `mine`'s ids, in order, each once.
async fn walk(
    r: &dyn ReviewStore,
    filter: &ReviewFilter,
    limit: usize,
    mine: &[FileId],
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<ReviewCursor> = None;
    for _ in 0..10_000 {
        let page = r.review_files(filter, limit, after.as_ref()).await.unwrap();
        assert!(page.files.len() <= limit);
        for f in &page.files {
            assert_eq!(f.status, filter.status, "{}", f.id);
            if mine.contains(&f.id) {
                seen.push(f.id.to_string());
            }
        }
        match page.next {
            Some(c) => after = Some(c),
            None => return seen,
        }
    }
    panic!("pages never end");
}

pub async fn files_are_found_by_status_owner_and_link_newest_first(
    s: Stores<'_>,
    r: &dyn ReviewStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let (ann, bob) = (owner(prefix, "rv-ann"), owner(prefix, "rv-bob"));
    let l = link(&bob, link_id(prefix, "rv-l"), 10, None, now);
    s.links.put_link(&l).await.unwrap();
    let make = |o: &OwnerId, id: &str, minute: i64| {
        FileRecord::pending(
            file_id(prefix, id),
            o.clone(),
            format!("{id}.pdf"),
            3,
            "application/pdf".into(),
            now + TimeDelta::minutes(minute),
            std::time::Duration::from_secs(900),
        )
    };
    // Created in this order, ids growing with time as the ids a deployment makes.
    let a1 = make(&ann, "rv-1", 1);
    let b2 = make(&bob, "rv-2", 2);
    let b3 = make(&bob, "rv-3", 3);
    let a4 = make(&ann, "rv-4", 4);
    let b5 = dropped(&l, file_id(prefix, "rv-5"), 3, now + TimeDelta::minutes(5));
    for f in [&a1, &b2, &b3, &a4] {
        s.ledger.create_pending(f, u64::MAX).await.unwrap();
    }
    assert_eq!(
        drop_via(s, &l, &b5, u64::MAX, now).await,
        DropReservation::Reserved
    );
    for f in [&a1, &b2, &a4, &b5] {
        settle_to(r, f, FileStatus::Held, now).await;
    }
    settle_to(r, &b3, FileStatus::Accepted, now).await;
    let mine: Vec<FileId> = [&a1, &b2, &b3, &a4, &b5]
        .iter()
        .map(|f| f.id.clone())
        .collect();
    let id = |f: &FileRecord| f.id.to_string();

    let held = |scope| ReviewFilter {
        status: FileStatus::Held,
        scope,
    };
    for limit in [1, 2, 50] {
        assert_eq!(
            walk(r, &held(ReviewScope::All), limit, &mine).await,
            [id(&b5), id(&a4), id(&b2), id(&a1)],
            "across owners, {limit} a page"
        );
    }
    let accepted = ReviewFilter {
        status: FileStatus::Accepted,
        scope: ReviewScope::All,
    };
    assert_eq!(walk(r, &accepted, 50, &mine).await, [id(&b3)]);
    for limit in [1, 50] {
        assert_eq!(
            walk(r, &held(ReviewScope::Owner(bob.clone())), limit, &mine).await,
            [id(&b5), id(&b2)],
            "one owner's, {limit} a page"
        );
    }
    assert_eq!(
        walk(r, &held(ReviewScope::Link(l.id.clone())), 1, &mine).await,
        [id(&b5)],
        "one link's"
    );
    let page = r
        .review_files(&held(ReviewScope::Owner(owner(prefix, "rv-none"))), 5, None)
        .await
        .unwrap();
    assert!(page.files.is_empty() && page.next.is_none());

    let found = r
        .find_file(&b5.id)
        .await
        .unwrap()
        .expect("found by id alone");
    assert_eq!((&found.owner, found.status), (&bob, FileStatus::Held));
    assert_eq!(found.via_link(), Some(l.id.as_str()));
    assert_eq!(
        r.find_file(&file_id(prefix, "rv-none")).await.unwrap(),
        None
    );
}

pub async fn links_are_found_across_owners_and_by_id(
    s: Stores<'_>,
    r: &dyn ReviewStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let mine = [
        link(
            &owner(prefix, "rl-ann"),
            link_id(prefix, "rl-1"),
            3,
            None,
            now,
        ),
        link(
            &owner(prefix, "rl-bob"),
            link_id(prefix, "rl-2"),
            3,
            None,
            now,
        ),
        link(
            &owner(prefix, "rl-bob"),
            link_id(prefix, "rl-3"),
            3,
            None,
            now,
        ),
    ];
    for l in &mine {
        s.links.put_link(l).await.unwrap();
    }
    for limit in [1, 2, 50] {
        let mut seen = Vec::new();
        let mut after = None;
        for _ in 0..10_000 {
            let slice = r.all_links(limit, after.as_ref()).await.unwrap();
            assert!(slice.links.len() <= limit);
            seen.extend(
                slice
                    .links
                    .into_iter()
                    .filter(|l| mine.iter().any(|m| m.id == l.id)),
            );
            match slice.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        seen.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(seen, mine, "every link once, {limit} a page");
    }
    let found = r
        .link_by_id(&mine[1].id)
        .await
        .unwrap()
        .expect("by id alone");
    assert_eq!(found, mine[1]);
    assert_eq!(
        r.link_by_id(&link_id(prefix, "rl-none")).await.unwrap(),
        None
    );
}
