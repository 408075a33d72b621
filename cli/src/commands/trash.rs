//! `trash ls`, `trash restore` and `trash purge`.

use serde_json::json;

use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{Exit, table};
use crate::units::bytes;
use crate::wire::FileView;

pub async fn ls(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let files: Vec<FileView> = api.list_all("trash").await?;
    ctx.out.json(&json!({ "files": files }));
    if files.is_empty() {
        ctx.out.say("The trash is empty.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            vec![
                f.id.clone().unwrap_or_default(),
                bytes(f.size),
                f.text("trashed_at").unwrap_or("").to_owned(),
                f.text("purge_at").unwrap_or("").to_owned(),
                f.name.clone(),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["ID", "SIZE", "DELETED", "PURGED AFTER", "NAME"],
        &rows,
    ));
    Ok(Exit::Ok)
}

pub async fn restore(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    api.restore_trash(id).await.map_err(|e| e.for_file(id))?;
    ctx.out.say(&format!(
        "Restored {id}. Its old shares stay revoked: share it again if needed."
    ));
    ctx.out.json(&json!({ "restored": id }));
    Ok(Exit::Ok)
}

pub async fn purge(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    api.purge_trash(id).await.map_err(|e| e.for_file(id))?;
    ctx.out.say(&format!("Purged {id}."));
    ctx.out.json(&json!({ "purged": id }));
    Ok(Exit::Ok)
}
