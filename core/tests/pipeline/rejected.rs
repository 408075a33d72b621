//! Rejections: executables, type mismatches, unrecognisable bytes, wrong sizes.

use dropgate_core::FileStatus;
use dropgate_core::pipeline::Decision;
use dropgate_core::policy::{RejectReason, Verdict};

use crate::world::*;

async fn assert_rejected(
    declared: &str,
    bytes: Vec<u8>,
    reason: RejectReason,
    detected: Option<&str>,
) {
    let w = world();
    let up = uploaded(&w, declared, bytes).await;
    let d = decide(&w, &up.key).await;
    let Decision::Settled { file, verdict, .. } = &d else {
        panic!("expected Settled, got {d:?}");
    };
    assert_eq!(*verdict, Verdict::Rejected(reason));
    assert_eq!(file.status, FileStatus::Rejected);
    assert_eq!(file.reason.as_deref(), Some(reason.code()));
    assert_eq!(file.detected_type.as_deref(), detected);

    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert_eq!(rec.reason.as_deref(), Some(reason.code()));
    assert!(!w.store.has(&up.key), "rejected bytes must leave uploads/");
    assert_eq!(usage(&w).await, (0, 0, 0), "reservation released");
    assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
}

#[tokio::test]
async fn an_elf_declared_as_png_is_rejected() {
    assert_rejected(
        "image/png",
        elf(),
        RejectReason::TypeNotAllowed,
        Some("application/x-executable"),
    )
    .await;
}

#[tokio::test]
async fn a_pe_declared_as_png_is_rejected() {
    assert_rejected(
        "image/png",
        pe(),
        RejectReason::TypeNotAllowed,
        Some("application/vnd.microsoft.portable-executable"),
    )
    .await;
}

#[tokio::test]
async fn a_zip_declared_as_text_is_a_type_mismatch() {
    assert_rejected(
        "text/plain",
        zip(),
        RejectReason::TypeMismatch,
        Some("application/zip"),
    )
    .await;
}

#[tokio::test]
async fn a_jpeg_declared_as_png_is_a_type_mismatch() {
    assert_rejected(
        "image/png",
        jpeg(),
        RejectReason::TypeMismatch,
        Some("image/jpeg"),
    )
    .await;
}

#[tokio::test]
async fn unrecognisable_bytes_are_rejected() {
    let mut bytes = vec![0u8, 0xff, 0x13, 0x37];
    bytes.resize(64, 0);
    assert_rejected(
        "application/pdf",
        bytes,
        RejectReason::TypeUnrecognized,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_size_other_than_declared_is_rejected() {
    for (declared_size, actual) in [(1_000u64, png()), (10, png())] {
        let w = world();
        let up = uploaded_with(&w, "image/png", declared_size, actual, None).await;
        assert_eq!(usage(&w).await, (0, declared_size, 1));
        let d = decide(&w, &up.key).await;
        let Decision::Settled {
            file,
            verdict,
            stored_size,
            ..
        } = &d
        else {
            panic!("expected Settled, got {d:?}");
        };
        assert_eq!(*verdict, Verdict::Rejected(RejectReason::SizeMismatch));
        assert_eq!(file.reason.as_deref(), Some("size_mismatch"));
        assert_eq!(*stored_size, 300);
        assert!(!w.store.has(&up.key));
        assert_eq!(usage(&w).await, (0, 0, 0));
        assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
    }
}

#[tokio::test]
async fn a_stopped_account_s_pending_upload_is_not_accepted() {
    use dropgate_core::standing::StandingStore;
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    w.standing.set_disabled(&owner(), true).await.unwrap();
    let d = decide(&w, &up.key).await;
    let Decision::Settled { file, .. } = &d else {
        panic!("expected Settled, got {d:?}");
    };
    assert_eq!(file.status, FileStatus::Rejected);
    assert_eq!(file.reason.as_deref(), Some("account_disabled"));
    assert!(!w.store.has(&up.key), "its bytes leave uploads/");
    assert_eq!(usage(&w).await, (0, 0, 0), "reservation released");
}
