//! What owners are mailed about their files. Every name is quoted with [`names::quote`], and
//! no mail ever carries a token, a receipt or a URL that grants anything. The mails are made
//! unaddressed (`to` empty): the courier addresses each to the owner's verified address as the
//! directory holds it when it goes out ([`crate::accounts::OwnerAddress`]), never to a copy
//! kept on a record (it goes stale when the owner changes their address).

use super::{Mail, ShareNotice};
use crate::links::LinkStore;
use crate::{FileRecord, FileStatus, LinkId, OwnerId, names};

/// The owners' mails about `files` (one slot each, `None` where nobody is to be told). Link
/// files say how many uploads their link has left, read in one round trip for all of them; if
/// that read fails the mails still go, saying so.
pub async fn verdict_mails(files: &[&FileRecord], links: &dyn LinkStore) -> Vec<Option<Mail>> {
    let mut keys: Vec<(OwnerId, LinkId)> = files
        .iter()
        .filter_map(|f| {
            f.link
                .as_ref()
                .map(|l| (f.owner.clone(), l.link_id.clone()))
        })
        .collect();
    keys.sort();
    keys.dedup();
    let found = if keys.is_empty() {
        Vec::new()
    } else {
        links.get_links(&keys).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "links not read for the owners' mails");
            Vec::new()
        })
    };
    files
        .iter()
        .map(|f| {
            let left = f.link.as_ref().and_then(|o| {
                found
                    .iter()
                    .find(|l| l.id == o.link_id && l.owner == f.owner)
                    .map(|l| l.uploads_left())
            });
            verdict_mail(f, left)
        })
        .collect()
}

/// A reason code in words, for people.
pub fn reason_words(code: &str) -> &'static str {
    match code {
        "type_not_allowed" => "its content is of a type that is not allowed",
        "type_mismatch" => "its content is not the type its name or declaration says",
        "active_content" => {
            "its name is of content that runs or renders as a page (a script, a program, a web page), which is not allowed here"
        }
        "content_encoding" => {
            "it was stored with a content encoding, so a browser would not get the bytes that were checked"
        }
        "type_unrecognized" => "its content could not be recognised as any allowed type",
        "size_mismatch" => "the bytes that arrived differ in size from what was declared",
        "upload_timeout" => "its bytes never arrived",
        "content_changed" => {
            "its bytes were replaced after it was accepted, and the new ones do not pass"
        }
        "malware_found" => "the malware scan found a threat in it",
        "scan_failed" => "the malware scanner could not read it",
        "scan_unsupported" => {
            "the malware scanner cannot judge content of this kind (for example an encrypted archive)"
        }
        "scan_timeout" => "the malware scan gave no verdict in time",
        "account_disabled" => "the account it was sent to is stopped by an operator",
        "released" => "it was held for review and an operator released it",
        _ => "it did not pass the checks",
    }
}

/// The owner's mail about a counted download of a share (at most one per share per ten
/// minutes: later downloads in that time are on the topic only).
pub fn download_mail(file: &FileRecord, share: &ShareNotice) -> Option<Mail> {
    let to = String::new();
    let name = names::quote(&file.name);
    let through = match &share.label {
        Some(l) => format!("your share {}", names::quote(l)),
        None => format!("a share of it (id {})", share.share),
    };
    let left = match share.downloads_left {
        Some(n) => n.to_string(),
        None => "unlimited (until it expires)".to_owned(),
    };
    Some(Mail {
        to,
        subject: format!("Dropgate: {name} was downloaded"),
        body: format!(
            "Your file {name} was downloaded through {through}.\n\n\
             Downloads left: {left}\n\
             You are told about at most one download per share every 10 minutes; the download \
             log lists them all.\n"
        ),
    })
}

/// The owner's mail about a share locked after too many wrong passwords: which share, until
/// when, and what to do. Never the password tried, nor where the attempts came from.
pub fn lockout_mail(file: &FileRecord, share: &ShareNotice) -> Option<Mail> {
    let to = String::new();
    let name = names::quote(&file.name);
    let which = match &share.label {
        Some(l) => format!("Your share {} of {name}", names::quote(l)),
        None => format!("A share of your file {name} (id {})", share.share),
    };
    let until = share
        .locked_until
        .map(|t| format!("until {} UTC", t.format("%Y-%m-%d %H:%M")))
        .unwrap_or_else(|| "for a while".to_owned());
    Some(Mail {
        to,
        subject: format!("Dropgate: a share of {name} was locked after wrong passwords"),
        body: format!(
            "{which} received too many wrong passwords, so it refuses every password {until}, \
             the right one included. Nothing was downloaded by these attempts.\n\n\
             If you did not expect this, someone may be guessing its password: revoke the share \
             and create a new one with a new password. You are mailed once per lockout.\n"
        ),
    })
}

/// The owner's mail about a verdict on `file`, if the owner is to be told: always for a file
/// that came through an upload link, else only when it was rejected. `uploads_left` is the
/// link's, read after the verdict (`None` when it could not be read).
pub fn verdict_mail(file: &FileRecord, uploads_left: Option<u32>) -> Option<Mail> {
    let to = String::new();
    let name = names::quote(&file.name);
    let verdict = match file.status {
        FileStatus::Accepted => "accepted",
        FileStatus::Rejected => "rejected",
        FileStatus::Held => "held for review",
        _ => return None,
    };
    // The owner, and only the owner, learns what the scanner found.
    let threats = file
        .scan
        .as_ref()
        .filter(|s| !s.threats.is_empty())
        .map(|s| {
            let names: Vec<String> = s.threats.iter().map(|t| names::quote(t)).collect();
            format!("Threats found: {}\n", names.join(", "))
        })
        .unwrap_or_default();
    let detected = file.detected_type.as_deref().unwrap_or("unrecognized");
    let why = file.reason.as_deref().map(reason_words);
    let Some(link) = &file.link else {
        return match file.status {
            FileStatus::Rejected => Some(Mail {
                to,
                subject: format!("Dropgate: {name} was rejected"),
                body: format!(
                    "Your upload {name} ({} bytes, declared {}) was rejected: {} ({}).\n\
                     Detected type: {detected}. {threats}The file was removed and its quota released.\n",
                    file.size,
                    file.content_type,
                    why.unwrap_or("it did not pass the checks"),
                    file.reason.as_deref().unwrap_or("unknown"),
                ),
            }),
            // An operator released it after it was held: the owner waited for this one.
            FileStatus::Accepted if file.reason.as_deref() == Some(crate::review::RELEASED) => {
                Some(Mail {
                    to,
                    subject: format!("Dropgate: {name} was released"),
                    body: format!(
                        "Your upload {name} ({} bytes, declared {}) was held for review, and an \
                         operator released it: it can be downloaded and shared now.\n",
                        file.size, file.content_type,
                    ),
                })
            }
            FileStatus::Held => Some(Mail {
                to,
                subject: format!("Dropgate: {name} is held for review"),
                body: format!(
                    "Your upload {name} ({} bytes, declared {}) is held for review: {} ({}).\n\
                     It cannot be downloaded or shared until an operator releases it.\n",
                    file.size,
                    file.content_type,
                    why.unwrap_or("it could not be checked"),
                    file.reason.as_deref().unwrap_or("unknown"),
                ),
            }),
            _ => None,
        };
    };
    let label = names::quote(&link.label);
    let mut body = format!(
        "A file arrived through your upload link {label}.\n\n\
         File: {name}\nSize: {} bytes\nDeclared type: {}\nDetected type: {detected}\n\
         Verdict: {verdict}\n",
        file.size, file.content_type,
    );
    if let (Some(code), Some(words)) = (&file.reason, why) {
        body.push_str(&format!("Reason: {words} ({code})\n"));
    }
    body.push_str(&threats);
    let uploader = link.uploader.as_ref();
    if let Some(n) = uploader.and_then(|u| u.name.as_deref()) {
        body.push_str(&format!("Uploader: {}\n", names::quote(n)));
    }
    if let Some(e) = uploader.and_then(|u| u.email.as_deref()) {
        body.push_str(&format!("Uploader's email (as given): {e}\n"));
    }
    if let Some(note) = uploader.and_then(|u| u.note.as_deref()) {
        // Quoted line by line, so the uploader's words never pass for the mail's own.
        body.push_str("Note from the uploader:\n");
        for line in note.lines() {
            body.push_str(&format!("> {line}\n"));
        }
    }
    match uploads_left {
        Some(n) => body.push_str(&format!("Uploads left on this link: {n}\n")),
        None => body.push_str("Uploads left on this link: unknown\n"),
    }
    match file.status {
        FileStatus::Rejected => {
            body.push_str("The rejected bytes were removed and your quota released.\n")
        }
        FileStatus::Held => {
            body.push_str("It cannot be downloaded or shared until an operator releases it.\n")
        }
        _ => {}
    }
    Some(Mail {
        to,
        subject: format!("Dropgate: {name} {verdict} via {label}"),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{LinkOrigin, Uploader};
    use crate::{FileId, LinkId, OwnerId};
    use chrono::Utc;

    fn file(status: FileStatus, link: bool) -> FileRecord {
        FileRecord {
            id: FileId::parse("f1").unwrap(),
            owner: OwnerId::parse("o1").unwrap(),
            name: "scan \"1\".pdf".into(),
            size: 42,
            content_type: "application/pdf".into(),
            status,
            detected_type: Some("application/x-executable".into()),
            reason: (status == FileStatus::Rejected).then(|| "type_not_allowed".into()),
            created_at: Utc::now(),
            upload_expires_at: Utc::now(),
            link: link.then(|| LinkOrigin {
                link_id: LinkId::parse("l1").unwrap(),
                label: "Smith & Co <tax>".into(),
                allowed_types: crate::allowed::TypePolicy::only(["application/pdf"]),
                uploader: Some(Uploader {
                    name: Some("Ann".into()),
                    email: None,
                    note: None,
                }),
            }),
            owner_email: Some("owner@example.com".into()),
            stored: None,
            multipart: None,
            key_scheme: crate::keys::KeyScheme::File,
            scan: None,
            scan_started_at: None,
            lifecycle: Default::default(),
            versioning: Default::default(),
        }
    }

    #[test]
    fn link_files_are_mailed_on_every_verdict() {
        let m = verdict_mail(&file(FileStatus::Rejected, true), Some(2)).unwrap();
        assert_eq!(
            m.subject,
            "Dropgate: \u{201c}scan \"1\".pdf\u{201d} rejected via \u{201c}Smith & Co <tax>\u{201d}"
        );
        for part in [
            "Smith & Co <tax>",
            "42 bytes",
            "application/x-executable",
            "Verdict: rejected",
            "type_not_allowed",
            "\u{201c}Ann\u{201d}",
            "Uploads left on this link: 2",
        ] {
            assert!(m.body.contains(part), "{part} in {}", m.body);
        }
        assert!(verdict_mail(&file(FileStatus::Accepted, true), None).is_some());
    }

    #[test]
    fn the_uploaders_note_is_quoted_as_text() {
        let mut f = file(FileStatus::Accepted, true);
        let no_note = verdict_mail(&f, Some(1)).unwrap();
        assert!(!no_note.body.contains("Note from the uploader"));
        if let Some(u) = f.link.as_mut().and_then(|l| l.uploader.as_mut()) {
            u.note = Some("Hi,\n<script>alert(1)</script>\nVerdict: rejected".into());
        }
        let m = verdict_mail(&f, Some(1)).unwrap();
        assert!(
            m.body.contains(
                "Note from the uploader:\n> Hi,\n> <script>alert(1)</script>\n\
                 > Verdict: rejected\n"
            ),
            "{}",
            m.body
        );
        assert!(
            !m.subject.contains("script"),
            "the note stays out of the subject"
        );
    }

    #[test]
    fn a_lockout_mail_names_the_share_and_the_end_and_nothing_else() {
        let f = file(FileStatus::Accepted, false);
        let until = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, 11, 0, 0).unwrap();
        let notice = ShareNotice {
            share: crate::ShareId::parse("s1").unwrap(),
            label: Some("For the auditors".into()),
            downloads_left: Some(3),
            mail: true,
            locked_until: Some(until),
        };
        let m = lockout_mail(&f, &notice).unwrap();
        assert_eq!(m.to, "", "addressed by the courier, not from the record");
        assert!(
            m.subject.contains("\u{201c}scan \"1\".pdf\u{201d}"),
            "{}",
            m.subject
        );
        for part in [
            "\u{201c}For the auditors\u{201d}",
            "until 2026-11-22 11:00 UTC",
            "revoke",
        ] {
            assert!(m.body.contains(part), "{part} in {}", m.body);
        }
        let unlabelled = ShareNotice {
            label: None,
            ..notice
        };
        assert!(
            lockout_mail(&f, &unlabelled)
                .unwrap()
                .body
                .contains("id s1")
        );
        // The record's old copy of the owner's address is not what decides the mail.
        let mut no_copy = f.clone();
        no_copy.owner_email = None;
        assert!(lockout_mail(&no_copy, &unlabelled).is_some());
    }

    #[test]
    fn the_owner_is_told_of_threats_and_of_held_files() {
        for link in [false, true] {
            let mut f = file(FileStatus::Rejected, link);
            f.reason = Some("malware_found".into());
            f.scan = Some(crate::scan::ScanRecord {
                status: crate::scan::ScanStatus::Infected,
                etag: Some("e".into()),
                threats: vec!["EICAR-Test-File".into()],
                at: None,
            });
            let m = verdict_mail(&f, Some(1)).unwrap();
            for part in [
                "malware_found",
                "the malware scan found a threat",
                "Threats found: \u{201c}EICAR-Test-File\u{201d}",
            ] {
                assert!(m.body.contains(part), "{part} in {}", m.body);
            }
            let mut held = file(FileStatus::Held, link);
            held.reason = Some("scan_unsupported".into());
            let m = verdict_mail(&held, Some(1)).unwrap();
            assert!(m.subject.contains("held"), "{}", m.subject);
            assert!(
                m.body.contains("until an operator releases it"),
                "{}",
                m.body
            );
            assert!(m.body.contains("scan_unsupported"), "{}", m.body);
        }
        for status in [FileStatus::Pending, FileStatus::Scanning] {
            assert!(verdict_mail(&file(status, true), Some(1)).is_none());
        }
    }

    #[test]
    fn own_uploads_are_mailed_only_when_rejected() {
        assert!(verdict_mail(&file(FileStatus::Accepted, false), None).is_none());
        let m = verdict_mail(&file(FileStatus::Rejected, false), None).unwrap();
        assert!(m.subject.contains("was rejected"));
        let mut no_copy = file(FileStatus::Rejected, true);
        no_copy.owner_email = None;
        assert!(verdict_mail(&no_copy, Some(1)).is_some());
    }
}
