//! `admin hold` and `admin unhold`: legal holds on any owner's file, over
//! `/admin/files/{id}/hold` (docs/API.md, "Legal holds (admins)").

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Repeat;
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable};

#[derive(Deserialize)]
struct HeldFile {
    id: String,
    name: String,
    legal_hold: bool,
    hold_reason: Option<String>,
}

fn read(v: &Value) -> Result<HeldFile> {
    serde_json::from_value(v.clone())
        .map_err(|_| CliError::Config("the API answered a file this CLI cannot read".into()))
}

/// `dropgate admin hold FILE_ID --reason TEXT`.
pub async fn hold(ctx: &Ctx, id: &str, reason: &str) -> Result<Exit> {
    if reason.trim().is_empty() {
        return Err(CliError::Usage("say why with --reason TEXT".into()));
    }
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "files", id, "hold"], &[])?;
    // Each placement is audited: a lost answer is not sent again.
    let body = json!({ "reason": reason });
    let answer: Value = api
        .json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
        .await?;
    ctx.out.json(&answer);
    let f = read(&answer["file"])?;
    ctx.out.say(&format!(
        "Held {} ({}): nobody can delete it until `dropgate admin unhold {}`. Reason: {}",
        printable(&f.id),
        printable(&f.name),
        printable(&f.id),
        printable(f.hold_reason.as_deref().unwrap_or("-"))
    ));
    Ok(Exit::Ok)
}

/// `dropgate admin unhold FILE_ID`.
pub async fn unhold(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "files", id, "hold"], &[])?;
    // Lifting twice leaves the same state.
    let answer: Value = api.json(Method::DELETE, url, None, Repeat::Safe).await?;
    ctx.out.json(&answer);
    let f = read(&answer["file"])?;
    let what = if f.legal_hold {
        "still held"
    } else {
        "no longer held"
    };
    ctx.out.say(&format!(
        "{} ({}) is {what}.",
        printable(&f.id),
        printable(&f.name)
    ));
    Ok(Exit::Ok)
}
