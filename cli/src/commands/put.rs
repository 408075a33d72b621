//! `put` (to the account) and `drop` (through someone's upload link): upload each file, wait
//! for its verdict, report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use serde_json::{Value, json};

use crate::api::Api;
use crate::args::{DropArgs, PutArgs, UploadArgs};
use crate::commands::Ctx;
use crate::error::{CliError, Result, allowed_words, for_link};
use crate::output::{Exit, error_json, printable};
use crate::progress::Progress;
use crate::resume::{Method, ResumeStore, file_name};
use crate::units::bytes;
use crate::upload::{Destination, Engine, verdict};
use crate::wire::{FileView, UploaderInfo};

pub async fn put(ctx: &Ctx, args: PutArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let delete_after = args
        .delete_after
        .as_deref()
        .map(|raw| crate::retention::delete_after(raw, chrono::Utc::now()))
        .transpose()?;
    let destination = match args.version_of {
        Some(of) if args.files.len() == 1 => Destination::Version { of },
        Some(_) => {
            return Err(CliError::Usage(
                "--version-of takes exactly one FILE: the new version's bytes.".into(),
            ));
        }
        None => Destination::Account,
    };
    let mut engine = engine(ctx, &api, destination, &args.upload);
    engine.delete_after = delete_after;
    upload_all(ctx, &engine, &args.files, args.upload.wait).await
}

pub async fn drop(ctx: &Ctx, args: DropArgs) -> Result<Exit> {
    let (base, token) = parse_link(&args.url)?;
    let api = Api::public(ctx.api.as_deref().unwrap_or(&base))?;
    let info = api.drop_info(&token).await?;
    let name = args.name.filter(|n| !n.trim().is_empty());
    if info.require_uploader_name && name.is_none() {
        return Err(CliError::Usage(
            "This link asks for your name: pass --name NAME.".into(),
        ));
    }
    if !ctx.out.json {
        let left = info
            .uploads_left
            .map(|n| format!(" ({n} uploads left)"))
            .unwrap_or_default();
        eprintln!("Dropping into \u{201c}{}\u{201d}{left}.", info.label);
        if let Some(max) = info.max_file_bytes {
            eprintln!("This link can take files up to {}.", bytes(max));
        }
        if !info.allowed_types.is_null() {
            eprintln!("Allowed here: {}.", allowed_words(&info.allowed_types));
        }
    }
    let note = args.note.filter(|n| !n.trim().is_empty());
    let any = name.is_some() || args.email.is_some() || note.is_some();
    let uploader = any.then_some(UploaderInfo {
        name,
        email: args.email,
        note,
    });
    let destination = Destination::Link { token, uploader };
    let engine = engine(ctx, &api, destination, &args.upload);
    upload_all(ctx, &engine, &args.files, args.upload.wait).await
}

fn engine<'a>(ctx: &Ctx, api: &'a Api, destination: Destination, args: &UploadArgs) -> Engine<'a> {
    Engine {
        api,
        store: ResumeStore::new(&ctx.config),
        progress: Progress::for_stderr(),
        destination,
        parallel: usize::from(args.parallel),
        declared_type: args.content_type.clone(),
        delete_after: None,
    }
}

/// Errors that would fail every other file the same way.
fn fatal(e: &CliError) -> bool {
    matches!(
        e,
        CliError::NotLoggedIn
            | CliError::SessionExpired
            | CliError::OtherApi { .. }
            | CliError::Unreachable { .. }
            | CliError::Config(_)
            | CliError::Interrupted
    )
}

async fn upload_all(ctx: &Ctx, engine: &Engine<'_>, files: &[PathBuf], wait: u64) -> Result<Exit> {
    let mut entries = Vec::new();
    let (mut failed, mut rejected, mut held) = (false, false, false);
    for path in files {
        let (entry, outcome) = match one(ctx, engine, path, wait).await {
            Ok(done) => done,
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => {
                let name = file_name(path).unwrap_or_else(|_| path.display().to_string());
                let e = match engine.destination {
                    Destination::Link { .. } => for_link(e),
                    Destination::Account | Destination::Version { .. } => e,
                }
                .for_file(&name);
                let sentence = e.to_string();
                engine.progress.line(&format!("error: {sentence}"));
                let entry = json!({
                    "path": path.to_string_lossy(),
                    "error": error_json(&e, &sentence)["error"],
                });
                (entry, Outcome::Failed)
            }
        };
        match outcome {
            Outcome::Failed => failed = true,
            Outcome::Rejected => rejected = true,
            Outcome::Held => held = true,
            Outcome::Done => {}
        }
        entries.push(entry);
    }
    ctx.out.json(&json!({ "files": entries }));
    Ok(if failed {
        Exit::Error
    } else if rejected {
        Exit::Rejected
    } else if held {
        Exit::Held
    } else {
        Exit::Ok
    })
}

enum Outcome {
    Done,
    Rejected,
    Held,
    Failed,
}

/// Uploads one file and waits for its verdict: its JSON entry and how it ended.
async fn one(ctx: &Ctx, engine: &Engine<'_>, path: &Path, wait: u64) -> Result<(Value, Outcome)> {
    let up = engine.upload(path).await?;
    let file = verdict(engine.api, &up, Duration::from_secs(wait)).await?;
    up.bar.finish(&file.status);
    let mut entry = json!({
        "path": path.to_string_lossy(),
        "method": match up.method { Method::Put => "put", Method::Multipart => "multipart" },
        "part_count": up.part_count,
        "parts_uploaded": up.parts_sent,
        "resumed": up.resumed,
        "file": file,
    });
    let outcome = if !file.is_final() && wait > 0 {
        let e = CliError::NoVerdict {
            name: up.name.clone(),
            secs: wait,
            status: file.status.clone(),
        };
        let sentence = e.to_string();
        engine.progress.line(&format!("error: {sentence}"));
        entry["error"] = error_json(&e, &sentence)["error"].clone();
        Outcome::Failed
    } else if file.is_failed() {
        Outcome::Rejected
    } else if file.is_held() {
        Outcome::Held
    } else {
        Outcome::Done
    };
    if !matches!(outcome, Outcome::Failed) {
        let line = verdict_line(&up.name, &file);
        engine.progress.suspend(|| ctx.out.say(&line));
    }
    Ok((entry, outcome))
}

/// `hello.txt: accepted (text/plain, 16 B), id 0193...`; the final word of both verdicts, or
/// where the file stands when it was not waited for.
pub fn verdict_line(name: &str, f: &FileView) -> String {
    let id =
        f.id.as_deref()
            .map(|id| format!(", id {id}"))
            .unwrap_or_default();
    let detected = f.detected_type.as_deref();
    let reason = f.reason.as_deref();
    match f.status.as_str() {
        "accepted" => {
            let kind = detected.or(f.text("content_type")).unwrap_or("?");
            // Scanning switched off: said, so nobody takes the file for scanned.
            let unscanned = if f.scan.as_ref().is_some_and(|s| s.status == "off") {
                ", not scanned for malware"
            } else {
                ""
            };
            format!(
                "{name}: accepted ({kind}, {}{unscanned}){id}",
                bytes(f.size)
            )
        }
        // What an uploader's receipt says of malware: nothing more.
        "rejected" if reason == Some("refused_for_safety") => {
            format!("{name}: refused for safety{id}")
        }
        "rejected" if reason == Some("malware_found") => {
            let threats: Vec<String> = f.threats().iter().map(|t| printable(t)).collect();
            let named = match threats.len() {
                0 => String::new(),
                1 => format!(" (threat: {})", threats[0]),
                _ => format!(" (threats: {})", threats.join(", ")),
            };
            format!("{name}: rejected: malware_found{named}{id}")
        }
        "rejected" => {
            let reason = reason.unwrap_or("no reason given");
            let seen = detected
                .map(|d| format!(" (detected {d})"))
                .unwrap_or_default();
            // A receipt refused for its type says what the link takes.
            let allowed = f
                .rest
                .get("allowed")
                .map(|a| format!("; allowed here: {}", allowed_words(a)))
                .unwrap_or_default();
            format!("{name}: rejected: {reason}{seen}{allowed}{id}")
        }
        "pending" => format!("{name}: uploaded, verdict pending{id}"),
        "scanning" => format!("{name}: uploaded, scanning for malware{id}"),
        "held" => {
            let why = match (reason, f.scan.as_ref()) {
                (Some(r), _) => format!(" ({r})"),
                (None, Some(s)) => format!(" (scan: {})", s.status),
                (None, None) => String::new(),
            };
            format!("{name}: held for review{why}{id}")
        }
        other => {
            let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            format!("{name}: {other}{reason}{id}")
        }
    }
}

/// `https://host/prefix/d/TOKEN` into the API's base (`https://host/prefix`) and the token.
pub fn parse_link(raw: &str) -> Result<(String, String)> {
    let bad = || CliError::Usage("Not an upload link: expected https://.../d/TOKEN.".into());
    let url = Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad());
    }
    let mut segments: Vec<&str> = url.path_segments().ok_or_else(bad)?.collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    let n = segments.len();
    if n < 2 || segments[n - 2] != "d" {
        return Err(bad());
    }
    let token = segments[n - 1];
    let token_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if token.is_empty() || !token.chars().all(token_chars) {
        return Err(bad());
    }
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    base.set_path(&segments[..n - 2].join("/"));
    Ok((
        base.as_str().trim_end_matches('/').to_owned(),
        token.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_links_split_into_base_and_token() {
        let (base, token) = parse_link("http://127.0.0.1:3000/d/AbC_-9").unwrap();
        assert_eq!(
            (base.as_str(), token.as_str()),
            ("http://127.0.0.1:3000", "AbC_-9")
        );
        let (base, token) = parse_link("https://x.example/prod/d/tok/?utm=1#f").unwrap();
        assert_eq!(
            (base.as_str(), token.as_str()),
            ("https://x.example/prod", "tok")
        );
        for bad in [
            "http://x/d/",
            "http://x/tok",
            "http://x/s/tok",
            "ftp://x/d/tok",
            "x/d/tok",
            "http://x/d/to%20k",
        ] {
            assert!(parse_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verdict_lines() {
        let f: FileView = serde_json::from_value(json!({
            "id": "f1", "name": "cat.png", "size": 2048, "content_type": "image/png",
            "status": "rejected", "detected_type": "application/x-executable",
            "reason": "type_not_allowed"
        }))
        .unwrap();
        assert_eq!(
            verdict_line("cat.png", &f),
            "cat.png: rejected: type_not_allowed (detected application/x-executable), id f1"
        );
        let f: FileView = serde_json::from_value(json!({
            "name": "a.txt", "size": 16, "status": "accepted", "detected_type": "text/plain",
            "reason": null
        }))
        .unwrap();
        assert_eq!(
            verdict_line("a.txt", &f),
            "a.txt: accepted (text/plain, 16 B)"
        );
    }

    fn file(v: Value) -> FileView {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_refusal_for_type_says_what_the_link_takes() {
        let f = file(json!({"name": "scan", "size": 5, "status": "rejected",
            "reason": "type_not_allowed", "detected_type": "image/png",
            "allowed": ["application/pdf"]}));
        assert_eq!(
            verdict_line("scan", &f),
            "scan: rejected: type_not_allowed (detected image/png); allowed here: application/pdf"
        );
    }

    #[test]
    fn the_malware_gate_has_its_final_words() {
        let infected = file(json!({
            "id": "f2", "name": "e.txt", "size": 68, "status": "rejected",
            "detected_type": "text/plain", "reason": "malware_found",
            "scan": {"status": "infected", "threats": ["Eicar-Test-Signature", "Evil\u{1b}[31m"],
                     "scanned_at": "2026-12-04T12:00:00.000Z"}
        }));
        assert_eq!(
            verdict_line("e.txt", &infected),
            "e.txt: rejected: malware_found (threats: Eicar-Test-Signature, Evil?[31m), id f2"
        );
        let one = file(json!({
            "id": "f2", "name": "e.txt", "size": 68, "status": "rejected",
            "reason": "malware_found", "scan": {"status": "infected", "threats": ["X"]}
        }));
        assert_eq!(
            verdict_line("e.txt", &one),
            "e.txt: rejected: malware_found (threat: X), id f2"
        );
        // A stranger's receipt: no threat, no reason beyond safety.
        let receipt = file(json!({
            "name": "e.txt", "size": 68, "status": "rejected", "reason": "refused_for_safety",
            "detected_type": "text/plain", "scan": {"status": "infected"}
        }));
        assert_eq!(verdict_line("e.txt", &receipt), "e.txt: refused for safety");
        let failed = file(json!({
            "name": "x.pdf", "size": 1, "status": "rejected", "reason": "scan_failed",
            "detected_type": "application/pdf", "scan": {"status": "failed"}
        }));
        assert_eq!(
            verdict_line("x.pdf", &failed),
            "x.pdf: rejected: scan_failed (detected application/pdf)"
        );
        let held = file(json!({
            "id": "f3", "name": "a.zip", "size": 1, "status": "held", "reason": null,
            "scan": {"status": "unsupported"}
        }));
        assert_eq!(
            verdict_line("a.zip", &held),
            "a.zip: held for review (scan: unsupported), id f3"
        );
        let scanning = file(json!({
            "id": "f4", "name": "a.txt", "size": 1, "status": "scanning",
            "scan": {"status": "pending"}
        }));
        assert_eq!(
            verdict_line("a.txt", &scanning),
            "a.txt: uploaded, scanning for malware, id f4"
        );
        let unscanned = file(json!({
            "name": "a.txt", "size": 16, "status": "accepted", "detected_type": "text/plain",
            "scan": {"status": "off"}
        }));
        assert_eq!(
            verdict_line("a.txt", &unscanned),
            "a.txt: accepted (text/plain, 16 B, not scanned for malware)"
        );
        let clean = file(json!({
            "name": "a.txt", "size": 16, "status": "accepted", "detected_type": "text/plain",
            "scan": {"status": "clean", "scanned_at": "2026-12-04T12:00:00.000Z"}
        }));
        assert_eq!(
            verdict_line("a.txt", &clean),
            "a.txt: accepted (text/plain, 16 B)"
        );
    }
}
