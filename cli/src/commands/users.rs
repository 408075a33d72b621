//! `admin users`, `admin user`, `admin quota`, `admin disable`, `admin enable`: accounts for
//! operators, over `GET/PATCH /admin/users` (docs/API.md, "Accounts (admins)").

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Repeat;
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable, table};
use crate::units::{bytes, parse_size};

#[derive(Deserialize)]
struct Account {
    id: String,
    email: String,
    status: String,
    created_at: String,
    quota_bytes: u64,
    quota_custom: bool,
    used_bytes: u64,
    reserved_bytes: u64,
    files: u64,
    links: u64,
    shares: u64,
}

#[derive(Deserialize)]
struct Listing {
    users: Vec<Value>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct One {
    user: Value,
}

fn account(v: &Value) -> Result<Account> {
    serde_json::from_value(v.clone())
        .map_err(|_| CliError::Config("the API answered an account this CLI cannot read".into()))
}

fn quota_text(a: &Account) -> String {
    let own = if a.quota_custom { " (own)" } else { "" };
    format!("{}{own}", bytes(a.quota_bytes))
}

fn row(a: &Account) -> Vec<String> {
    vec![
        printable(&a.id),
        printable(&a.email),
        printable(&a.status),
        format!("{} + {}", bytes(a.used_bytes), bytes(a.reserved_bytes)),
        quota_text(a),
        a.files.to_string(),
        a.links.to_string(),
        a.shares.to_string(),
    ]
}

const HEADER: [&str; 8] = [
    "ID",
    "EMAIL",
    "STATUS",
    "USED+RESERVED",
    "QUOTA",
    "FILES",
    "LINKS",
    "SHARES",
];

pub async fn list(
    ctx: &Ctx,
    query: Option<&str>,
    limit: u16,
    cursor: Option<&str>,
) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let limit = limit.to_string();
    let mut q = vec![("limit", limit.as_str())];
    if let Some(p) = query {
        q.push(("query", p));
    }
    if let Some(c) = cursor {
        q.push(("cursor", c));
    }
    let url = api.url(&["admin", "users"], &q)?;
    let page: Listing = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out
        .json(&json!({"users": page.users, "next_cursor": page.next_cursor}));
    if page.users.is_empty() {
        ctx.out.say("No accounts.");
        return Ok(Exit::Ok);
    }
    let rows = page
        .users
        .iter()
        .map(|u| account(u).map(|a| row(&a)))
        .collect::<Result<Vec<_>>>()?;
    ctx.out.say(&table(&HEADER, &rows));
    if let Some(next) = page.next_cursor {
        ctx.out.say(&format!("More: --cursor {next}"));
    }
    Ok(Exit::Ok)
}

fn say_account(ctx: &Ctx, user: &Value) -> Result<()> {
    ctx.out.json(&json!({ "user": user }));
    let a = account(user)?;
    ctx.out.say(&format!(
        "{} {}\n  status   {}\n  created  {}\n  quota    {}\n  used     {}\n  reserved {}\n  files {}, links {}, shares {}",
        printable(&a.id),
        printable(&a.email),
        printable(&a.status),
        printable(&a.created_at),
        quota_text(&a),
        bytes(a.used_bytes),
        bytes(a.reserved_bytes),
        a.files,
        a.links,
        a.shares,
    ));
    Ok(())
}

pub async fn show(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "users", id], &[])?;
    let one: One = api.json(Method::GET, url, None, Repeat::Safe).await?;
    say_account(ctx, &one.user)?;
    Ok(Exit::Ok)
}

async fn patch(ctx: &Ctx, id: &str, body: Value) -> Result<Value> {
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "users", id], &[])?;
    // Setting a quota or the switch twice leaves the same state: safe to repeat.
    let one: One = api
        .json(Method::PATCH, url, Some(&body), Repeat::Safe)
        .await?;
    Ok(one.user)
}

pub async fn quota(ctx: &Ctx, id: &str, size: &str) -> Result<Exit> {
    let quota = if size.eq_ignore_ascii_case("default") {
        Value::Null
    } else {
        json!(parse_size(size).map_err(CliError::Usage)?)
    };
    let user = patch(ctx, id, json!({ "quota_bytes": quota })).await?;
    say_account(ctx, &user)?;
    Ok(Exit::Ok)
}

pub async fn switch(ctx: &Ctx, id: &str, disabled: bool) -> Result<Exit> {
    let user = patch(ctx, id, json!({ "disabled": disabled })).await?;
    say_account(ctx, &user)?;
    Ok(Exit::Ok)
}
