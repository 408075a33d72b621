//! `admin audit`: list the audit log, export it page by page to a file, and verify an export
//! offline with the chain's own rules (dropgate-core), in constant memory.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use dropgate_core::audit::{AuditEntry, Broken, Verifier};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Repeat, header};
use crate::args::{AuditArgs, AuditCommand, AuditFilters};
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable, table};

#[derive(Deserialize)]
struct Listing {
    entries: Vec<AuditEntry>,
    next_cursor: Option<String>,
}

pub async fn run(ctx: &Ctx, args: AuditArgs) -> Result<Exit> {
    match args.command {
        None => list(ctx, &args.filters, args.limit, args.cursor.as_deref()).await,
        Some(AuditCommand::Export {
            format,
            output,
            since,
            until,
            force,
        }) => {
            let filters = AuditFilters {
                since,
                until,
                ..AuditFilters::default()
            };
            export(ctx, &filters, &format, &output, force).await
        }
        Some(AuditCommand::Verify { file }) => verify(ctx, &file),
    }
}

fn query(f: &AuditFilters) -> Vec<(&'static str, &str)> {
    [
        ("since", &f.since),
        ("until", &f.until),
        ("action", &f.action),
        ("actor", &f.actor),
        ("target", &f.target),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect()
}

async fn list(ctx: &Ctx, f: &AuditFilters, limit: u16, cursor: Option<&str>) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let limit = limit.to_string();
    let mut q = query(f);
    q.push(("limit", &limit));
    if let Some(c) = cursor {
        q.push(("cursor", c));
    }
    let url = api.url(&["admin", "audit"], &q)?;
    let page: Listing = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out
        .json(&json!({"entries": page.entries, "next_cursor": page.next_cursor}));
    if page.entries.is_empty() {
        ctx.out.say("No entries.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.at.clone(),
                printable(&format!("{}:{}", e.actor.kind.as_str(), e.actor.id)),
                printable(&e.action),
                printable(&format!("{}:{}", e.target.kind, e.target.id)),
                printable(&e.detail.to_string()),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["SEQ", "AT", "ACTOR", "ACTION", "TARGET", "DETAIL"],
        &rows,
    ));
    if let Some(next) = page.next_cursor {
        ctx.out.say(&format!("More: --cursor {next}"));
    }
    Ok(Exit::Ok)
}

/// Pages until the server names no next one, each written as it comes; a file is written
/// beside its destination and renamed at the end, so a cut export never passes for whole.
async fn export(
    ctx: &Ctx,
    f: &AuditFilters,
    format: &str,
    output: &Path,
    force: bool,
) -> Result<Exit> {
    let to_stdout = output == Path::new("-");
    if !to_stdout && !force && output.symlink_metadata().is_ok() {
        return Err(CliError::Exists {
            path: output.display().to_string(),
        });
    }
    let api = ctx.logged_in()?;
    let partial = PathBuf::from(format!("{}.partial", output.display()));
    let mut sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        let file = std::fs::File::create(&partial).map_err(|e| CliError::io(&partial, e))?;
        Box::new(std::io::BufWriter::new(file))
    };
    let io = |e| CliError::io(if to_stdout { Path::new("-") } else { &partial }, e);
    let (mut cursor, mut pages, mut bytes) = (None::<String>, 0u64, 0u64);
    loop {
        let mut q = query(f);
        q.push(("format", format));
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let url = api.url(&["admin", "audit", "export"], &q)?;
        // The first page records the export: it is never sent twice. The rest only read.
        let repeat = if cursor.is_none() {
            Repeat::OnlyUnsent
        } else {
            Repeat::Safe
        };
        let resp = api.request(Method::GET, url, None, repeat).await?;
        let next = header(&resp, "dropgate-next-cursor").map(str::to_owned);
        let body = resp.bytes().await.map_err(|e| api.unreachable(&e))?;
        sink.write_all(&body).map_err(io)?;
        pages += 1;
        bytes += body.len() as u64;
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    sink.flush().map_err(io)?;
    drop(sink);
    if !to_stdout {
        std::fs::rename(&partial, output).map_err(|e| CliError::io(output, e))?;
    }
    let shown = output.display().to_string();
    ctx.out
        .json(&json!({"output": shown, "format": format, "pages": pages, "bytes": bytes}));
    if !to_stdout {
        ctx.out.say(&format!(
            "Exported the audit log to {shown} ({bytes} bytes)."
        ));
    }
    Ok(Exit::Ok)
}

/// An intact export: how many entries, and the first and last seq.
#[derive(Debug, PartialEq, Eq)]
struct Intact(u64, Option<u64>, Option<u64>);

/// What `verify` found: an intact chain, or where it breaks.
fn check(reader: impl BufRead) -> std::io::Result<std::result::Result<Intact, Broken>> {
    let mut v = Verifier::default();
    let (mut first, mut last) = (None, None);
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: AuditEntry = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(_) => {
                return Ok(Err(Broken {
                    seq: v.expected(),
                    why: "a line is not an audit entry",
                }));
            }
        };
        if let Err(b) = v.push(&entry) {
            return Ok(Err(b));
        }
        first.get_or_insert(entry.seq);
        last = Some(entry.seq);
    }
    Ok(Ok(Intact(v.count(), first, last)))
}

fn verify(ctx: &Ctx, file: &Path) -> Result<Exit> {
    let f = std::fs::File::open(file).map_err(|e| CliError::io(file, e))?;
    let found = check(BufReader::new(f)).map_err(|e| CliError::io(file, e))?;
    match found {
        Ok(Intact(count, first, last)) => {
            ctx.out.json(
                &json!({"intact": true, "entries": count, "first_seq": first, "last_seq": last}),
            );
            match (first, last) {
                (Some(a), Some(b)) => {
                    ctx.out
                        .say(&format!("Intact: {count} entries, seq {a} to {b}."));
                    if a > 1 {
                        ctx.out.say(&format!(
                            "The export starts at seq {a}: entries before it are not vouched for."
                        ));
                    }
                }
                _ => ctx.out.say("Intact: no entries."),
            }
            Ok(Exit::Ok)
        }
        Err(b) => {
            ctx.out
                .json(&json!({"intact": false, "seq": b.seq, "reason": b.why}));
            eprintln!(
                "error: the audit log's chain is broken at seq {}: {}",
                b.seq, b.why
            );
            Ok(Exit::Error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropgate_core::audit::{Actor, ActorKind, AuditEvent, Head};

    fn export(n: u64) -> Vec<String> {
        let mut head = Head::genesis();
        (1..=n)
            .map(|i| {
                let event = AuditEvent::new(
                    Actor {
                        id: "a".into(),
                        kind: ActorKind::Admin,
                    },
                    "user.disabled",
                    "user",
                    &format!("u{i}"),
                    json!({}),
                );
                let e = AuditEntry::link(&head, event, "2026-12-04T10:00:00.000Z".into());
                head = e.head();
                serde_json::to_string(&e).unwrap()
            })
            .collect()
    }

    fn run(lines: &[String]) -> std::result::Result<Intact, Broken> {
        check(lines.join("\n").as_bytes()).unwrap()
    }

    #[test]
    fn verify_reads_lines_and_names_the_first_bad_seq() {
        let lines = export(4);
        assert_eq!(run(&lines), Ok(Intact(4, Some(1), Some(4))));
        let mut garbled = lines.clone();
        garbled[1] = "not json".into();
        assert_eq!(run(&garbled).unwrap_err().seq, 2);
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("u3", "u9");
        assert_eq!(run(&edited).unwrap_err().seq, 3);
        let mut removed = lines;
        removed.remove(0);
        // Without its first entry an export is checked from where it starts.
        assert_eq!(run(&removed), Ok(Intact(3, Some(2), Some(4))));
    }
}
