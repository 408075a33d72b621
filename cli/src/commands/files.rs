//! `ls`, `rm` and `quota`.

use serde_json::json;

use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{Exit, printable, table};
use crate::units::bytes;
use crate::wire::FileView;

pub async fn ls(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let files: Vec<FileView> = api.list_all("files").await?;
    ctx.out.json(&json!({ "files": files }));
    if files.is_empty() {
        ctx.out.say("No files.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            vec![
                f.id.clone().unwrap_or_default(),
                status_words(f),
                scan_words(f),
                bytes(f.size),
                f.text("created_at").unwrap_or("").to_owned(),
                f.name.clone(),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["ID", "STATUS", "SCAN", "SIZE", "CREATED", "NAME"],
        &rows,
    ));
    Ok(Exit::Ok)
}

/// The status column: the status, with the reason of a file not accepted, and `legal hold`
/// for a file an admin holds.
fn status_words(f: &FileView) -> String {
    let status = match &f.reason {
        Some(r) if f.status != "accepted" => format!("{} ({r})", f.status),
        _ => f.status.clone(),
    };
    if f.rest
        .get("legal_hold")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        format!("{status}, legal hold")
    } else {
        status
    }
}

/// The malware scan's column: its status, with the threats it named (`-` from a server that
/// does not scan).
fn scan_words(f: &FileView) -> String {
    let Some(scan) = &f.scan else {
        return "-".into();
    };
    match f.threats() {
        [] => scan.status.clone(),
        threats => {
            let named: Vec<String> = threats.iter().map(|t| printable(t)).collect();
            format!("{} ({})", scan.status, named.join(", "))
        }
    }
}

pub async fn rm(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    // An accepted file waits in the trash unless the server has it off: asked first, so the
    // answer can say where the file went.
    let file = api.file(id).await.map_err(|e| e.for_file(id))?;
    let days = api.trash_days().await?.unwrap_or(0);
    api.delete_file(id).await.map_err(|e| e.for_file(id))?;
    let trashed = file.status == "accepted" && days > 0;
    if trashed {
        ctx.out.say(&format!(
            "Moved {id} to the trash for {days} days; `dropgate trash restore {id}` brings it back."
        ));
    } else {
        ctx.out.say(&format!("Deleted {id} for good."));
    }
    ctx.out.json(&json!({ "deleted": id, "trashed": trashed }));
    Ok(Exit::Ok)
}

/// `retention [--days N | --off]`: the account's default retention, shown or changed.
pub async fn retention(ctx: &Ctx, args: crate::args::RetentionArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let answer = match (args.days, args.off) {
        (Some(d), _) => {
            api.edit_settings(&json!({ "file_retention_days": d }))
                .await?
        }
        (None, true) => {
            api.edit_settings(&json!({ "file_retention_days": null }))
                .await?
        }
        (None, false) => api.settings().await?,
    };
    ctx.out.json(&answer);
    match answer["settings"]["file_retention_days"].as_u64() {
        Some(d) => ctx.out.say(&format!(
            "New files are deleted {d} days after their upload (unless given their own time)."
        )),
        None => ctx.out.say("New files are kept until they are deleted."),
    }
    Ok(Exit::Ok)
}

pub async fn quota(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let q = api.quota().await?;
    ctx.out.json(&q);
    let percent = if q.limit_bytes == 0 {
        100.0
    } else {
        (q.used_bytes + q.reserved_bytes) as f64 * 100.0 / q.limit_bytes as f64
    };
    ctx.out.say(&format!(
        "{} used and {} reserved of {} ({percent:.0}%), {} files.",
        bytes(q.used_bytes),
        bytes(q.reserved_bytes),
        bytes(q.limit_bytes),
        q.files
    ));
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_column_says_a_legal_hold() {
        let f = |v: serde_json::Value| -> FileView { serde_json::from_value(v).unwrap() };
        let held = json!({"name": "a", "size": 1, "status": "accepted", "legal_hold": true});
        assert_eq!(status_words(&f(held)), "accepted, legal hold");
        let free = json!({"name": "a", "size": 1, "status": "accepted", "legal_hold": false});
        assert_eq!(status_words(&f(free)), "accepted");
        let refused = json!({"name": "a", "size": 1, "status": "rejected", "reason": "x"});
        assert_eq!(status_words(&f(refused)), "rejected (x)");
    }

    #[test]
    fn the_scan_column_names_threats_to_the_owner() {
        let f = |scan: serde_json::Value| -> FileView {
            let mut v = json!({"name": "a", "size": 1, "status": "rejected"});
            if !scan.is_null() {
                v["scan"] = scan;
            }
            serde_json::from_value(v).unwrap()
        };
        assert_eq!(scan_words(&f(json!(null))), "-");
        assert_eq!(scan_words(&f(json!({"status": "pending"}))), "pending");
        assert_eq!(
            scan_words(&f(json!({"status": "infected", "threats": ["A", "B\n"]}))),
            "infected (A, B?)"
        );
    }
}
