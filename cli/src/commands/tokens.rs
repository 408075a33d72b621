//! `token create`, `token ls` and `token rm`: the account's API tokens.

use serde_json::{Value, json};

use crate::args::TokenCreateArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{Exit, table};

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

pub async fn create(ctx: &Ctx, args: TokenCreateArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let token = api
        .create_api_token(&args.name, &args.scope, args.expires_in)
        .await?;
    ctx.out.json(&json!({ "token": token }));
    ctx.out.say(&format!(
        "Made API token {} ({}, until {}). Its secret, shown this once:\n{}",
        text(&token, "id"),
        text(&token, "scope"),
        text(&token, "expires_at"),
        text(&token, "secret"),
    ));
    Ok(Exit::Ok)
}

pub async fn ls(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let tokens = api.api_tokens().await?;
    ctx.out.json(&json!({ "tokens": tokens }));
    if tokens.is_empty() {
        ctx.out.say("No API tokens.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                text(t, "id").to_owned(),
                text(t, "scope").to_owned(),
                text(t, "expires_at").to_owned(),
                t["last_used_at"].as_str().unwrap_or("never").to_owned(),
                text(t, "name").to_owned(),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["ID", "SCOPE", "EXPIRES", "LAST USED", "NAME"],
        &rows,
    ));
    Ok(Exit::Ok)
}

pub async fn rm(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    api.revoke_api_token(id).await?;
    ctx.out.say(&format!("Revoked {id}."));
    ctx.out.json(&json!({ "revoked": id }));
    Ok(Exit::Ok)
}
