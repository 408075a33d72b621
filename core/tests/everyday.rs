//! The files people actually send are welcome under the default policy (every type but active
//! content), and a narrowed deployment still narrows; the disguise rules stand.

use dropgate_core::allowed::TypePolicy;
use dropgate_core::policy::{Observed, RejectReason, Verdict, verdict};
use dropgate_core::sniff::detect;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The verdict on `bytes` named `name`, declared `declared`, as the pipeline judges it.
fn judge(policy: &TypePolicy, name: &str, declared: &str, bytes: &[u8]) -> Verdict {
    let detected = detect(bytes, false);
    verdict(
        policy,
        &Observed {
            name,
            declared_type: declared,
            detected_type: detected.as_deref(),
            declared_size: bytes.len() as u64,
            actual_size: bytes.len() as u64,
            content_encoding: None,
        },
    )
}

/// A ZIP whose first entry is `entry` holding `data` (stored, not compressed).
fn zip_with(entry: &str, data: &[u8]) -> Vec<u8> {
    let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let n = (data.len() as u32).to_le_bytes();
    v.extend_from_slice(&n);
    v.extend_from_slice(&n);
    v.extend_from_slice(&(entry.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(entry.as_bytes());
    v.extend_from_slice(data);
    v.extend_from_slice(b"PK\x03\x04");
    v.resize(v.len() + 64, 0);
    v
}

/// What an iPhone writes: an ISO media file of brand `heic`.
fn heic() -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    v.resize(256, 0);
    v
}

/// Bytes no sniffer recognises (a fixed pseudo-random sequence: encrypted data looks so).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn pe() -> Vec<u8> {
    let mut v = vec![0u8; 256];
    v[..2].copy_from_slice(b"MZ");
    v[0x3c] = 0x80;
    v[0x80..0x84].copy_from_slice(b"PE\0\0");
    v
}

#[test]
fn what_people_send_is_accepted_by_default() {
    let all = TypePolicy::default();
    let docx = zip_with("[Content_Types].xml", b"<Types/>word/document.xml");
    let bare_docx = zip_with("docProps/app.xml", b"<Properties/>");
    let random = random_bytes(4096);
    assert_eq!(
        detect(&random, true),
        None,
        "the sample must be unrecognisable"
    );
    assert_eq!(detect(&heic(), false).as_deref(), Some("image/heif"));
    let seven_z = [b"7z\xbc\xaf\x27\x1c".as_slice(), &random[..200]].concat();
    for (name, declared, bytes) in [
        // What a browser and the CLI declare for each.
        ("cv.docx", DOCX, &docx),
        ("cv.docx", "application/zip", &docx),
        ("cv.docx", DOCX, &bare_docx),
        ("IMG_0001.HEIC", "image/heic", &heic()),
        ("IMG_0001.heic", "image/heif", &heic()),
        ("data.bin", "application/octet-stream", &random),
        (
            "backup.7z",
            "application/x-7z-compressed",
            &seven_z.to_vec(),
        ),
        ("disk.dmg", "application/x-apple-diskimage", &random),
        ("disk.img", "application/octet-stream", &random),
        ("noextension", "application/octet-stream", &random),
    ] {
        assert_eq!(
            judge(&all, name, declared, bytes),
            Verdict::Accepted,
            "{name} declared {declared}"
        );
    }
}

#[test]
fn the_disguise_rules_and_active_content_still_hold_by_default() {
    use RejectReason::*;
    let all = TypePolicy::default();
    let zip = zip_with("a.txt", b"hello");
    let random = random_bytes(4096);
    for (name, declared, bytes, reason) in [
        // A ZIP named as a PDF, a program named as a photo.
        ("invoice.pdf", "application/pdf", &zip, TypeMismatch),
        ("photo.jpg", "image/jpeg", &pe(), TypeMismatch),
        // Unknown bytes under a name, or a declaration, that claims a known format.
        ("photo.jpg", "image/jpeg", &random, TypeUnrecognized),
        ("data.bin", "image/png", &random, TypeUnrecognized),
        // Programs and scripts, by name or by bytes.
        (
            "setup.exe",
            "application/octet-stream",
            &pe(),
            ActiveContent,
        ),
        (
            "page.html",
            "text/html",
            &b"<html></html>".to_vec(),
            ActiveContent,
        ),
        ("setup", "application/octet-stream", &pe(), TypeNotAllowed),
        (
            "run",
            "application/octet-stream",
            &b"#!/bin/sh\nrm -rf /\n".to_vec(),
            TypeNotAllowed,
        ),
    ] {
        assert_eq!(
            judge(&all, name, declared, bytes),
            Verdict::Rejected(reason),
            "{name} declared {declared}"
        );
    }
}

#[test]
fn a_narrowed_deployment_takes_only_its_list() {
    use RejectReason::*;
    let pdfs = TypePolicy::only(["application/pdf"]);
    let random = random_bytes(4096);
    assert_eq!(
        judge(&pdfs, "data.bin", "application/octet-stream", &random),
        Verdict::Rejected(TypeUnrecognized)
    );
    assert_eq!(
        judge(&pdfs, "IMG_0001.heic", "image/heic", &heic()),
        Verdict::Rejected(TypeNotAllowed)
    );
    assert_eq!(
        judge(&pdfs, "a.pdf", "application/pdf", b"%PDF-1.7\n"),
        Verdict::Accepted
    );
    // Listing unknown bytes lets them in.
    let with_octets = TypePolicy::only(["application/pdf", "application/octet-stream"]);
    assert_eq!(
        judge(
            &with_octets,
            "data.bin",
            "application/octet-stream",
            &random
        ),
        Verdict::Accepted
    );
}
