//! `link create`, `link ls`, `link revoke`.

use serde_json::{Value, json};

use crate::args::LinkCreateArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{Exit, table};
use crate::wire::Link;

pub async fn create(ctx: &Ctx, args: LinkCreateArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let mut body = json!({ "label": args.label });
    let optional = [
        ("expires_in", args.expires_in),
        ("max_uploads", args.max_uploads),
        ("max_file_bytes", args.max_file_bytes),
        ("max_total_bytes", args.max_total_bytes),
        ("max_pending_bytes", args.max_pending_bytes),
        ("retain_days", args.retain_days),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            body[key] = v.into();
        }
    }
    let types: Vec<&str> = args
        .types
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if !types.is_empty() {
        body["allowed_types"] = json!(types);
    }
    if args.require_name {
        body["require_uploader_name"] = Value::Bool(true);
    }
    let link = api.create_link(&body).await?;
    ctx.out.json(&json!({ "link": link }));
    // The URL is the link's purpose: stdout, alone, so `URL=$(dropgate link create ...)` works.
    ctx.out.say(link.url.as_deref().unwrap_or(""));
    if !ctx.out.json {
        eprintln!(
            "Link {} \u{201c}{}\u{201d}, {} uploads, expires {}. `dropgate link ls --json` shows the URL again.",
            link.id, link.label, link.max_uploads, link.expires_at
        );
    }
    Ok(Exit::Ok)
}

pub async fn ls(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let links: Vec<Link> = api.list_all("links").await?;
    ctx.out.json(&json!({ "links": links }));
    if links.is_empty() {
        ctx.out.say("No upload links.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = links
        .iter()
        .map(|l| {
            vec![
                l.id.clone(),
                l.state.clone(),
                format!("{}/{}", l.uploads_used, l.max_uploads),
                l.expires_at.clone(),
                l.label.clone(),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["ID", "STATE", "UPLOADS", "EXPIRES", "LABEL"],
        &rows,
    ));
    Ok(Exit::Ok)
}

pub async fn revoke(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    api.revoke_link(id).await.map_err(|e| e.for_file(id))?;
    ctx.out.say(&format!("Revoked {id}."));
    ctx.out.json(&json!({ "revoked": id }));
    Ok(Exit::Ok)
}
