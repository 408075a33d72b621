//! Names that disagree with their bytes, active content, and objects stored with a
//! `Content-Encoding`: each ends rejected with its own reason, its bytes removed.

use dropgate_core::FileStatus;
use dropgate_core::files::NewUpload;
use dropgate_core::pipeline::Decision;
use dropgate_core::policy::{RejectReason, Verdict};

use crate::world::*;

/// An owner's upload named `name`, declared `declared`; its bytes stored with `encoding`.
async fn decided(name: &str, declared: &str, bytes: Vec<u8>, encoding: Option<&str>) -> Decision {
    let w = world();
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: name.into(),
                size: bytes.len() as u64,
                content_type: declared.into(),
                owner_email: None,
            },
        )
        .await
        .unwrap();
    let key = format!("uploads/{}", c.file.id);
    match encoding {
        Some(e) => w.store.put_encoded(&key, bytes, e),
        None => w.store.put(&key, bytes),
    }
    let d = decide(&w, &key).await;
    if matches!(
        d,
        Decision::Settled {
            verdict: Verdict::Rejected(_),
            ..
        }
    ) {
        assert!(!w.store.has(&key), "rejected bytes leave uploads/");
        assert_eq!(usage(&w).await, (0, 0, 0), "reservation released");
    }
    d
}

fn reason(d: &Decision) -> Option<&str> {
    let Decision::Settled { file, .. } = d else {
        panic!("expected Settled, got {d:?}");
    };
    match file.status {
        FileStatus::Accepted => None,
        _ => Some(file.reason.as_deref().expect("a rejected file says why")),
    }
}

#[tokio::test]
async fn a_zip_named_as_a_pdf_is_a_type_mismatch() {
    // Declared as what it is: only the name lies.
    let d = decided("invoice.pdf", "application/zip", zip(), None).await;
    assert_eq!(reason(&d), Some(RejectReason::TypeMismatch.code()));
    let d = decided("invoice.zip", "application/zip", zip(), None).await;
    assert_eq!(reason(&d), None);
}

#[tokio::test]
async fn an_executable_named_as_a_photo_is_a_type_mismatch() {
    let d = decided("photo.jpg", "image/jpeg", pe(), None).await;
    assert_eq!(reason(&d), Some("type_mismatch"));
}

#[tokio::test]
async fn active_content_that_sniffs_as_text_is_refused_by_its_name() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    let d = decided("x.svg", "text/plain", svg.clone(), None).await;
    assert_eq!(reason(&d), Some("active_content"));
    let hta = b"<hta:application/><script>x()</script>".to_vec();
    let d = decided("run.hta", "text/plain", hta, None).await;
    assert_eq!(reason(&d), Some("active_content"));
    // The same bytes under a text name are text (served as opaque bytes).
    let d = decided("x.txt", "text/plain", svg, None).await;
    assert_eq!(reason(&d), None);
}

#[tokio::test]
async fn an_object_stored_with_a_content_encoding_is_refused() {
    let d = decided("notes.txt", "text/plain", b"hello".to_vec(), Some("br")).await;
    assert_eq!(reason(&d), Some("content_encoding"));
    let d = decided(
        "notes.txt",
        "text/plain",
        b"hello".to_vec(),
        Some("identity"),
    )
    .await;
    assert_eq!(reason(&d), None);
}
