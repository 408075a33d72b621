//! Notices: whom each decision tells, operators and owners.

use dropgate_core::FileStatus;
use dropgate_core::notify::EventType;

use crate::world::*;

#[tokio::test]
async fn accepted_files_notify_operators_but_do_not_mail() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let d = decide(&w, &up.key).await;
    let at = t0() + chrono::Duration::seconds(5);
    let (note, mail) = notices(&d, at);
    let note = note.expect("a notification");
    assert_eq!(mail, None, "no mail for an account user's own upload");
    assert_eq!(note.event_type, EventType::UploadAccepted);
    assert_eq!(note.version, 1);
    assert_eq!(note.file.as_ref().unwrap().id, up.id.to_string());
    assert_eq!(note.file.as_ref().unwrap().owner, "owner-1");
    assert_eq!(note.file.as_ref().unwrap().name, "the file.bin");
    assert_eq!(note.file.as_ref().unwrap().size, 300);
    assert_eq!(note.file.as_ref().unwrap().declared_type, "image/png");
    assert_eq!(
        note.file.as_ref().unwrap().detected_type.as_deref(),
        Some("image/png")
    );
    assert_eq!(note.reason, None);
    assert_eq!(note.via_link, None);
    assert_eq!(note.at, "2026-11-22T10:00:05.000Z");
    assert_eq!(
        note.attributes(),
        vec![
            ("event_type", "upload.accepted".to_owned()),
            ("owner", "owner-1".to_owned()),
            ("detected_type", "image/png".to_owned()),
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&note.body()).unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["type"], "upload.accepted");
    assert_eq!(body["file"]["id"], up.id.to_string());
    assert_eq!(body["file"]["detected_type"], "image/png");
    assert_eq!(body["reason"], serde_json::Value::Null);
    assert_eq!(body["via_link"], serde_json::Value::Null);
}

#[tokio::test]
async fn accepted_files_through_a_link_mail_the_owner() {
    let w = world();
    let len = pdf().len() as u64;
    let up = uploaded_with(&w, "application/pdf", len, pdf(), Some("link-7")).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.event_type, EventType::UploadAccepted);
    assert_eq!(note.via_link.as_deref(), Some("link-7"));
    let mail = mail.expect("the owner is mailed about a link upload");
    assert_eq!(mail.to, "", "addressed by the courier when it mails");
    assert!(mail.subject.contains("the file.bin"), "{}", mail.subject);
    assert!(mail.body.contains(&format!("{len} bytes")), "{}", mail.body);
    assert!(mail.body.contains("application/pdf"), "{}", mail.body);
}

#[tokio::test]
async fn link_files_are_judged_by_the_links_own_types() {
    let w = world();
    // A PNG declared as a PDF, and a real PNG declared honestly, on a PDF-only link: both are
    // allowed by the deployment, neither by the link.
    let spoof = dropped(
        &w,
        "link-pdf",
        &["application/pdf"],
        "application/pdf",
        png(),
    )
    .await;
    let d = decide(&w, &spoof.key).await;
    assert_eq!(record(&w, &spoof.id).await.status, FileStatus::Rejected);
    assert_eq!(
        record(&w, &spoof.id).await.reason.as_deref(),
        Some("type_not_allowed"),
        "{d:?}"
    );
    let honest = dropped(&w, "link-pdf", &["application/pdf"], "image/png", {
        let mut b = png();
        b.push(0);
        b
    })
    .await;
    decide(&w, &honest.key).await;
    assert_eq!(
        record(&w, &honest.id).await.reason.as_deref(),
        Some("type_not_allowed")
    );
    assert!(!w.store.has(&honest.key), "rejected bytes are removed");
    let (_, mail) = notices(&decide(&w, &spoof.key).await, t0());
    assert!(mail.is_none(), "a replay mails no one");
    // The same bytes on a link that allows PNG pass.
    let ok = dropped(&w, "link-img", &["image/png"], "image/png", {
        let mut b = png();
        b.extend([0, 0]);
        b
    })
    .await;
    decide(&w, &ok.key).await;
    assert_eq!(record(&w, &ok.id).await.status, FileStatus::Accepted);
}

#[tokio::test]
async fn rejected_files_notify_and_mail_the_owner() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.event_type, EventType::UploadRejected);
    assert_eq!(note.reason.as_deref(), Some("type_not_allowed"));
    assert_eq!(
        note.attributes(),
        vec![
            ("event_type", "upload.rejected".to_owned()),
            ("owner", "owner-1".to_owned()),
            ("detected_type", "application/x-executable".to_owned()),
        ]
    );
    let mail = mail.expect("the owner is mailed about a rejection");
    assert_eq!(mail.to, "", "addressed by the courier when it mails");
    assert!(mail.subject.contains("rejected"), "{}", mail.subject);
    assert!(mail.body.contains("type_not_allowed"), "{}", mail.body);
    assert!(
        mail.body.contains("application/x-executable"),
        "{}",
        mail.body
    );
}

#[tokio::test]
async fn unrecognised_types_are_attributed_as_unknown() {
    let w = world();
    let up = uploaded(&w, "application/pdf", vec![0u8; 64]).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.reason.as_deref(), Some("type_unrecognized"));
    assert_eq!(
        note.attributes()[2],
        ("detected_type", "unknown".to_owned())
    );
    assert!(mail.is_some());
}

#[tokio::test]
async fn non_settling_decisions_tell_no_one() {
    let w = world();
    let d = decide(&w, "elsewhere/x").await;
    assert_eq!(notices(&d, t0()), (None, None));
    let d = decide(&w, "uploads/owner-1/ghost").await;
    assert_eq!(notices(&d, t0()), (None, None));
}
