//! `admin review`, `admin release`, `admin delete-file`, `admin links`, `admin revoke-link`:
//! the review queue and every link, for operators, over `/admin/files` and `/admin/links`
//! (docs/API.md, "Review: files and links across owners (admins)").

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Repeat;
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable, table};
use crate::units::bytes;

#[derive(Deserialize)]
struct Owner {
    id: String,
    email: Option<String>,
}

#[derive(Deserialize)]
struct AdminFile {
    id: String,
    owner: Owner,
    name: String,
    size: u64,
    status: String,
    reason: Option<String>,
    created_at: String,
}

#[derive(Deserialize)]
struct AdminLink {
    id: String,
    owner: Owner,
    label: String,
    state: String,
    uploads_used: u32,
    max_uploads: u32,
    expires_at: String,
}

fn read<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|_| CliError::Config(format!("the API answered a {what} this CLI cannot read")))
}

fn owner_text(o: &Owner) -> String {
    printable(o.email.as_deref().unwrap_or(&o.id))
}

/// `dropgate admin review [--status held] [--owner ID | --link ID]`.
pub async fn review(
    ctx: &Ctx,
    status: &str,
    owner: Option<&str>,
    link: Option<&str>,
    cursor: Option<&str>,
) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let mut q = vec![("status", status)];
    q.extend(owner.map(|o| ("owner", o)));
    q.extend(link.map(|l| ("via_link", l)));
    q.extend(cursor.map(|c| ("cursor", c)));
    let url = api.url(&["admin", "files"], &q)?;
    let page: Value = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out.json(&page);
    let files = page["files"].as_array().cloned().unwrap_or_default();
    if files.is_empty() {
        ctx.out.say(&format!("No {} files.", printable(status)));
        return Ok(Exit::Ok);
    }
    let rows = files
        .iter()
        .map(|f| {
            let f: AdminFile = read(f, "file")?;
            Ok(vec![
                printable(&f.id),
                owner_text(&f.owner),
                printable(&f.status),
                printable(f.reason.as_deref().unwrap_or("-")),
                bytes(f.size),
                printable(&f.created_at),
                printable(&f.name),
            ])
        })
        .collect::<Result<Vec<_>>>()?;
    ctx.out.say(&table(
        &["ID", "OWNER", "STATUS", "REASON", "SIZE", "CREATED", "NAME"],
        &rows,
    ));
    if let Some(next) = page["next_cursor"].as_str() {
        ctx.out.say(&format!("More: --cursor {}", printable(next)));
    }
    Ok(Exit::Ok)
}

/// `dropgate admin release FILE_ID`.
pub async fn release(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "files", id, "release"], &[])?;
    // A lost answer repeated would read `not_held`: sent once.
    let answer: Value = api
        .json(Method::POST, url, None, Repeat::OnlyUnsent)
        .await?;
    ctx.out.json(&answer);
    let f: AdminFile = read(&answer["file"], "file")?;
    ctx.out.say(&format!(
        "Released {} ({}): now {}; {} is told.",
        printable(&f.id),
        printable(&f.name),
        printable(&f.status),
        owner_text(&f.owner)
    ));
    Ok(Exit::Ok)
}

/// `dropgate admin delete-file FILE_ID --yes`.
pub async fn delete_file(ctx: &Ctx, id: &str, yes: bool) -> Result<Exit> {
    if !yes {
        return Err(CliError::Usage(
            "this deletes the file for good, whoever owns it: add --yes".into(),
        ));
    }
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "files", id], &[])?;
    api.request(Method::DELETE, url, None, Repeat::OnlyUnsent)
        .await?;
    ctx.out.json(&json!({"deleted": id}));
    ctx.out.say(&format!("Deleted {} for good.", printable(id)));
    Ok(Exit::Ok)
}

/// `dropgate admin links`.
pub async fn links(ctx: &Ctx, cursor: Option<&str>) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let q: Vec<(&str, &str)> = cursor.map(|c| ("cursor", c)).into_iter().collect();
    let url = api.url(&["admin", "links"], &q)?;
    let page: Value = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out.json(&page);
    let links = page["links"].as_array().cloned().unwrap_or_default();
    if links.is_empty() {
        ctx.out.say("No links.");
    } else {
        let rows = links
            .iter()
            .map(|l| {
                let l: AdminLink = read(l, "link")?;
                Ok(vec![
                    printable(&l.id),
                    owner_text(&l.owner),
                    printable(&l.state),
                    format!("{}/{}", l.uploads_used, l.max_uploads),
                    printable(&l.expires_at),
                    printable(&l.label),
                ])
            })
            .collect::<Result<Vec<_>>>()?;
        ctx.out.say(&table(
            &["ID", "OWNER", "STATE", "UPLOADS", "EXPIRES", "LABEL"],
            &rows,
        ));
    }
    if let Some(next) = page["next_cursor"].as_str() {
        ctx.out.say(&format!("More: --cursor {}", printable(next)));
    }
    Ok(Exit::Ok)
}

/// `dropgate admin revoke-link ID`.
pub async fn revoke_link(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "links", id], &[])?;
    // Revoking twice leaves the same state.
    api.request(Method::DELETE, url, None, Repeat::Safe).await?;
    ctx.out.json(&json!({"revoked": id}));
    ctx.out.say(&format!("Revoked link {}.", printable(id)));
    Ok(Exit::Ok)
}
