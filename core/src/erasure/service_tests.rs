//! The erasure over the fakes: both doors, the counts, what remains, and an erasure cut short
//! by a failure finished by the next call.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::{Eraser, ErasureStore};
use crate::apikeys::{ApiKey, ApiKeyStore, KeyId, Scope};
use crate::audit::ActorKind;
use crate::fakes::{
    FixedClock, MemAccountDirectory, MemAudit, MemDirectory, MemErasure, MemMailer, MemStore,
    MemTotp,
};
use crate::files::{FileLookup, OwnerLedger, Settlement, Settling};
use crate::links::LinkStore;
use crate::shares::ShareStore;
use crate::standing::StandingStore;
use crate::{FileId, FileRecord, FileStatus, OwnerId};

struct World {
    eraser: Eraser,
    mem: MemErasure,
    objects: Arc<MemStore>,
    directory: Arc<MemDirectory>,
    audit: Arc<MemAudit>,
    mailer: Arc<MemMailer>,
    totp: Arc<MemTotp>,
    /// Ada's and Bob's access tokens at the second factor's directory.
    tokens: Vec<String>,
}

fn owner(id: &str) -> OwnerId {
    OwnerId::parse(id).unwrap()
}

fn world() -> World {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
    let mem = MemErasure::default();
    let objects = Arc::new(MemStore::default());
    let directory = Arc::new(MemDirectory::default());
    let accounts = Arc::new(MemAccountDirectory::default());
    let audit = Arc::new(MemAudit::default());
    let mailer = Arc::new(MemMailer::default());
    let clock = Arc::new(FixedClock::at(at));
    let totp = Arc::new(MemTotp::new(clock.clone()));
    accounts.second_factor(totp.clone());
    let mut tokens = Vec::new();
    for (id, email) in [("u-ada", "ada@example.com"), ("u-bob", "bob@example.com")] {
        directory.add(id, email, at);
        accounts.add(&owner(id), email);
        // Cognito's username is the owner id.
        tokens.push(totp.add(&owner(id), id));
    }
    let eraser = Eraser {
        store: Arc::new(mem.clone()),
        objects: objects.clone(),
        multipart: objects.clone(),
        directory: directory.clone(),
        accounts,
        totp: totp.clone(),
        links: mem.ledger.clone(),
        shares: mem.shares.clone(),
        audit: audit.clone(),
        mailer: mailer.clone(),
        clock,
    };
    World {
        eraser,
        mem,
        objects,
        directory,
        audit,
        mailer,
        totp,
        tokens,
    }
}

fn record(o: &OwnerId, id: &str, size: u64) -> FileRecord {
    FileRecord::pending(
        FileId::parse(id).unwrap(),
        o.clone(),
        format!("{id}.png"),
        size,
        "image/png".into(),
        Utc::now(),
        std::time::Duration::from_secs(600),
    )
}

/// Two accepted files (their objects stored), a pending one, a link, a share, a token.
async fn holdings(w: &World, o: &str) {
    let o = owner(o);
    let l = &w.mem.ledger;
    for (id, size) in [("a", 300u64), ("b", 200)] {
        let f = record(&o, &format!("{o}-{id}"), size);
        l.create_pending(&f, 1 << 30).await.unwrap();
        let s = Settlement {
            status: FileStatus::Accepted,
            detected_type: Some("image/png".into()),
            reason: None,
            at: Utc::now(),
            stored_size: Some(size),
            stored_etag: None,
            give_back_link: false,
            scan: None,
        };
        assert!(l.settle(&f, &s).await.unwrap());
        w.objects
            .put(&format!("uploads/{}", f.id), vec![0; size as usize]);
    }
    let p = record(&o, &format!("{o}-p"), 1000);
    l.create_pending(&p, 1 << 30).await.unwrap();
    let now = crate::contract::link_fixtures::ms(Utc::now());
    let link_id = crate::contract::link_fixtures::link_id(o.as_str(), "l");
    let link = crate::contract::link_fixtures::link(&o, link_id, 3, None, now);
    l.put_link(&link).await.unwrap();
    let share_id = crate::ShareId::parse(&format!("{o}-s")).unwrap();
    let share = crate::contract::shares::share(&o, share_id, &format!("{o}-a"), now);
    w.mem.shares.put_share(&share).await.unwrap();
    w.mem
        .keys
        .put(&ApiKey {
            id: KeyId::parse(&format!("k{:0>20}", o.as_str().len())).unwrap(),
            owner: o.clone(),
            name: "ci".into(),
            scope: Scope::Upload,
            hash: format!("hash-{o}"),
            created_at: Utc::now(),
            expires_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        })
        .await
        .unwrap();
}

async fn nothing_left(w: &World, o: &str) {
    let o = owner(o);
    assert!(w.mem.files(&o, None, 10).await.unwrap().is_empty());
    assert!(
        w.mem
            .ledger
            .list_links(&o, 10, None)
            .await
            .unwrap()
            .links
            .is_empty()
    );
    let shares = w.mem.shares.list_shares(&o, None, 10, None).await.unwrap();
    assert!(shares.shares.is_empty());
    assert!(w.mem.keys.list(&o).await.unwrap().is_empty());
    assert_eq!(w.mem.ledger.usage(&o, 10).await.unwrap().files, 0);
    assert!(!w.objects.has(&format!("uploads/{o}-a")));
    assert!(!w.objects.has(&format!("uploads/{o}-b")));
    assert!(w.directory_gone(&o).await);
}

impl World {
    async fn directory_gone(&self, o: &OwnerId) -> bool {
        use crate::users::Directory;
        self.directory.user(o).await.unwrap().is_none()
    }
}

#[tokio::test]
async fn an_admin_erases_everything_of_one_account_and_the_log_holds_ids_and_counts() {
    let w = world();
    holdings(&w, "u-ada").await;
    holdings(&w, "u-bob").await;
    let e = w
        .eraser
        .erase_by_admin(&owner("u-root"), "u-ada")
        .await
        .unwrap();
    assert_eq!(
        (e.id.as_str(), e.files, e.bytes, e.links, e.shares),
        ("u-ada", 3, 500, 1, 1)
    );
    assert_eq!(e.at, "2026-12-04T09:00:00.000Z");
    nothing_left(&w, "u-ada").await;
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "account.erased");
    assert_eq!(events[0].actor.kind, ActorKind::Admin);
    assert_eq!(events[0].target.id, "u-ada");
    assert_eq!(
        events[0].detail,
        json!({"files": 3, "bytes": 500, "links": 1, "shares": 1})
    );
    // Still stopped while the marker lasts; then the user is unknown.
    assert!(
        w.mem
            .standing
            .standing(&owner("u-ada"))
            .await
            .unwrap()
            .disabled
    );
    assert!(w.mem.marker_expiry(&owner("u-ada")).is_some());
    let again = w.eraser.erase_by_admin(&owner("u-root"), "u-ada").await;
    assert_eq!(again.unwrap_err().code(), "not_found");
    // The other account keeps all it had.
    let bob = owner("u-bob");
    assert_eq!(w.mem.files(&bob, None, 10).await.unwrap().len(), 3);
    assert!(w.objects.has("uploads/u-bob-a"));
    assert!(!w.directory_gone(&bob).await);
    assert!(!w.mem.standing.standing(&bob).await.unwrap().disabled);
}

#[tokio::test]
async fn an_unknown_or_malformed_id_is_not_found() {
    let w = world();
    for id in ["u-nobody", "", "../x"] {
        let e = w.eraser.erase_by_admin(&owner("u-root"), id).await;
        assert_eq!(e.unwrap_err().code(), "not_found", "{id}");
    }
    assert!(w.audit.events().is_empty());
}

#[tokio::test]
async fn an_admin_cannot_erase_their_own_account_from_the_console() {
    let w = world();
    holdings(&w, "u-ada").await;
    let e = w.eraser.erase_by_admin(&owner("u-ada"), "u-ada").await;
    assert_eq!(e.unwrap_err().code(), "own_account");
    assert!(!w.directory_gone(&owner("u-ada")).await);
    assert!(w.audit.events().is_empty());
}

#[tokio::test]
async fn an_erasure_cut_short_stops_the_account_and_the_next_call_finishes_it() {
    let w = world();
    holdings(&w, "u-ada").await;
    w.objects
        .failing_deletes
        .lock()
        .unwrap()
        .insert("uploads/u-ada-b".into());
    let e = w.eraser.erase_by_admin(&owner("u-root"), "u-ada").await;
    assert!(e.is_err());
    // Midway: stopped, the user still there, nothing recorded, part of it gone.
    let ada = owner("u-ada");
    assert!(w.mem.standing.standing(&ada).await.unwrap().disabled);
    assert!(!w.directory_gone(&ada).await);
    assert!(w.audit.events().is_empty());
    assert!(!w.objects.has("uploads/u-ada-a"));
    assert!(w.objects.has("uploads/u-ada-b"));
    w.objects.failing_deletes.lock().unwrap().clear();
    let e = w
        .eraser
        .erase_by_admin(&owner("u-root"), "u-ada")
        .await
        .unwrap();
    // The counts are the first call's, taken before anything went.
    assert_eq!((e.files, e.bytes, e.links, e.shares), (3, 500, 1, 1));
    nothing_left(&w, "u-ada").await;
    assert_eq!(w.audit.events().len(), 1);
}

#[tokio::test]
async fn an_owner_erases_their_own_account_with_their_password_only() {
    let w = world();
    holdings(&w, "u-ada").await;
    let ada = owner("u-ada");
    for wrong in ["", "Wrong1horse", &"x".repeat(300)] {
        let e = w
            .eraser
            .erase_own(&ada, wrong, None, Some("ada@example.com"))
            .await;
        assert_eq!(e.unwrap_err().code(), "invalid_credentials");
    }
    // A wrong password changes nothing.
    assert!(w.mem.marker(&ada).await.unwrap().is_none());
    assert_eq!(w.mem.files(&ada, None, 10).await.unwrap().len(), 3);
    assert!(w.mailer.sent.lock().unwrap().is_empty());
    let e = w
        .eraser
        // Without a second factor, a code is ignored.
        .erase_own(&ada, "Correct1horse", Some("1"), Some("ada@example.com"))
        .await
        .unwrap();
    let sent = w.mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ada@example.com");
    assert_eq!((e.files, e.bytes), (3, 500));
    nothing_left(&w, "u-ada").await;
    let events = w.audit.events();
    assert_eq!(events[0].actor.kind, ActorKind::Owner);
    assert_eq!(events[0].actor.id, "u-ada");
}

#[tokio::test]
async fn with_totp_on_an_owner_erases_their_account_only_with_a_current_code() {
    use crate::mfa::TotpDirectory;
    let w = world();
    holdings(&w, "u-ada").await;
    let ada = owner("u-ada");
    let token = &w.tokens[0];
    let secret = w.totp.associate(token).await.unwrap();
    w.totp.verify(token, &w.totp.code(&secret)).await.unwrap();
    w.totp.set_enabled(token, true).await.unwrap();
    let right = w.totp.code(&secret);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for code in [None, Some(""), Some("12345"), Some(wrong)] {
        let e = w
            .eraser
            .erase_own(&ada, "Correct1horse", code, Some("ada@example.com"))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("invalid_code", crate::ErrorKind::Unauthorized),
            "{code:?}"
        );
    }
    // The password still comes first: a right code with a wrong password is no erasure.
    let e = w
        .eraser
        .erase_own(&ada, "Wrong1horse", Some(&right), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_credentials");
    assert!(w.mem.marker(&ada).await.unwrap().is_none());
    assert_eq!(w.mem.files(&ada, None, 10).await.unwrap().len(), 3);
    assert!(w.mailer.sent.lock().unwrap().is_empty());

    let e = w
        .eraser
        .erase_own(&ada, "Correct1horse", Some(&right), Some("ada@example.com"))
        .await
        .unwrap();
    assert_eq!((e.files, e.bytes), (3, 500));
    nothing_left(&w, "u-ada").await;
}

#[test]
fn the_receipt_names_counts_and_the_time_only() {
    let e = super::ErasureView {
        id: "u-ada".into(),
        files: 3,
        bytes: 500,
        links: 1,
        shares: 2,
        at: "2026-12-04T09:00:00.000Z".into(),
    };
    let m = super::receipt_mail("ada@example.com", &e);
    assert_eq!(m.to, "ada@example.com");
    assert!(
        m.body
            .contains("3 files (500 bytes), 1 upload links, 2 share links")
    );
    assert!(!m.body.contains("u-ada"));
}
