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
            let status = match &f.reason {
                Some(r) if f.status != "accepted" => format!("{} ({r})", f.status),
                _ => f.status.clone(),
            };
            vec![
                f.id.clone().unwrap_or_default(),
                status,
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
    api.delete_file(id).await.map_err(|e| e.for_file(id))?;
    // An accepted file waits in the trash (`dropgate trash`) unless the server has it off.
    ctx.out.say(&format!("Deleted {id}."));
    ctx.out.json(&json!({ "deleted": id }));
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
