//! Well-declared files are accepted.

use dropgate_core::FileStatus;
use dropgate_core::pipeline::Decision;
use dropgate_core::policy::Verdict;

use crate::world::*;

#[tokio::test]
async fn well_declared_files_are_accepted() {
    for (declared, bytes, detected) in [
        ("image/png", png(), "image/png"),
        ("image/jpeg", jpeg(), "image/jpeg"),
        ("image/jpg", jpeg(), "image/jpeg"),
        ("application/pdf", pdf(), "application/pdf"),
        ("audio/mpeg", mp3(), "audio/mpeg"),
        ("audio/wav", wav(), "audio/x-wav"),
        ("application/zip", zip(), "application/zip"),
        ("text/plain", b"hello, world\n".to_vec(), "text/plain"),
        ("text/csv", b"a,b\n1,2\n".to_vec(), "text/plain"),
    ] {
        let w = world();
        let len = bytes.len() as u64;
        let up = uploaded(&w, declared, bytes).await;
        assert_eq!(usage(&w).await, (0, len, 1), "{declared}");

        let d = decide(&w, &up.key).await;
        let Decision::Settled {
            file,
            verdict,
            sampled_bytes,
            stored_size,
        } = &d
        else {
            panic!("{declared}: expected Settled, got {d:?}");
        };
        assert_eq!(*verdict, Verdict::Accepted, "{declared}");
        assert_eq!(file.status, FileStatus::Accepted, "{declared}");
        assert_eq!(file.detected_type.as_deref(), Some(detected), "{declared}");
        assert_eq!(file.reason, None);
        assert_eq!(*sampled_bytes as u64, len);
        assert_eq!(*stored_size, len);

        let rec = record(&w, &up.id).await;
        assert_eq!(rec.status, FileStatus::Accepted, "{declared}");
        assert_eq!(rec.detected_type.as_deref(), Some(detected));
        assert_eq!(usage(&w).await, (len, 0, 1), "{declared}: reserved -> used");
        assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Accepted)]);
        assert!(w.store.has(&up.key), "{declared}: accepted bytes stay");
    }
}
