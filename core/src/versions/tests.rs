use super::*;
use crate::OwnerId;

fn file(status: FileStatus) -> FileRecord {
    let mut f = FileRecord::pending(
        FileId::parse("f1").unwrap(),
        OwnerId::parse("o1").unwrap(),
        "a.txt".into(),
        10,
        "text/plain".into(),
        chrono::DateTime::UNIX_EPOCH,
        std::time::Duration::from_secs(60),
    );
    f.status = status;
    f
}

fn version(n: u32, status: FileStatus) -> FileRecord {
    let mut v = file(status);
    v.id = FileId::parse(&format!("v{n}")).unwrap();
    v.size = u64::from(n) * 100;
    v.versioning.of = Some(VersionOf {
        file: FileId::parse("f1").unwrap(),
        n,
    });
    v
}

fn current(n: u32) -> Option<CurrentVersion> {
    CurrentVersion::of(&version(n, FileStatus::Accepted))
}

#[test]
fn numbers_follow_the_last_given_and_the_first_is_the_files_own() {
    let mut h = VersionHead::default();
    assert_eq!((h.current_n(), h.next_n()), (1, 2));
    h.last_n = 4;
    h.current = current(3);
    assert_eq!((h.current_n(), h.next_n()), (3, 5));
    assert_eq!(
        parse_kept(&kept_member(7, &FileId::parse("abc").unwrap())),
        Some((7, FileId::parse("abc").unwrap()))
    );
    assert_eq!(parse_kept("x:abc"), None);
}

#[test]
fn past_the_limit_the_oldest_accepted_version_that_is_not_current_goes() {
    let mut f = file(FileStatus::Accepted);
    f.versioning.head.current = current(3);
    let vs = [
        version(2, FileStatus::Accepted),
        version(3, FileStatus::Accepted),
        version(4, FileStatus::Rejected),
    ];
    // 1, 2, 3 accepted: within 3, nothing goes; within 2, the first.
    assert_eq!(prune_victim(&f, &vs, 3), None);
    assert_eq!(prune_victim(&f, &vs, 2), Some(1));
    // The first current: the next oldest goes.
    f.versioning.head.current = None;
    assert_eq!(prune_victim(&f, &vs, 2), Some(2));
    // The first already removed: 2 and 3 fit in 2.
    f.versioning.head.first_removed = true;
    f.versioning.head.current = current(3);
    assert_eq!(prune_victim(&f, &vs, 2), None);
    assert_eq!(prune_victim(&f, &vs, 1), Some(2));
}

#[test]
fn a_receipt_counts_every_kept_versions_bytes() {
    let mut f = file(FileStatus::Accepted);
    let vs = [
        version(2, FileStatus::Accepted),
        version(3, FileStatus::Rejected),
        version(4, FileStatus::Scanning),
    ];
    assert_eq!(crate::lifecycle::kept_bytes(&f, &vs), (10 + 200 + 400, 3));
    f.versioning.head.first_removed = true;
    assert_eq!(crate::lifecycle::kept_bytes(&f, &vs), (600, 2));
    assert_eq!(
        own_removal(&f),
        crate::files::QuotaDelta::remove(FileStatus::Rejected, 0)
    );
}

#[test]
fn only_an_accepted_version_moves_its_files_pointer_and_downloads_serve_it() {
    assert_eq!(switch_on_accept(&version(2, FileStatus::Scanning)), None);
    assert_eq!(switch_on_accept(&file(FileStatus::Accepted)), None);
    let (parent, cur) = switch_on_accept(&version(2, FileStatus::Accepted)).unwrap();
    assert_eq!((parent.as_str(), cur.n, cur.size), ("f1", 2, 200));
    let mut f = file(FileStatus::Accepted);
    assert_eq!(f.served().key(), "uploads/f1");
    f.versioning.head.current = Some(cur);
    let served = f.served();
    assert_eq!(
        (served.key(), served.name.as_str(), served.size),
        ("uploads/v2".to_owned(), "a.txt", 200)
    );
}
