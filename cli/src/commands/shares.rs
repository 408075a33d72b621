//! `share create`, `share ls`, `share revoke`, `share log`.

use serde_json::{Value, json};

use crate::args::ShareCreateArgs;
use crate::commands::Ctx;
use crate::commands::auth::password_from_stdin;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable, table};
use crate::wire::{Share, ShareDownload};

pub async fn create(ctx: &Ctx, args: ShareCreateArgs) -> Result<Exit> {
    // Read before anything is sent: a missing password is a usage error, not half a share.
    let password = if args.password_stdin {
        Some(password_from_stdin()?)
    } else {
        None
    };
    let api = ctx.logged_in()?;
    let mut body = json!({});
    if let Some(n) = args.max_downloads {
        body["max_downloads"] = n.into();
    }
    if let Some(secs) = args.expires_in {
        body["expires_in"] = secs.into();
    }
    if let Some(p) = password {
        body["password"] = Value::String(p);
    }
    if let Some(label) = &args.label {
        body["label"] = Value::String(label.clone());
    }
    if args.notify {
        body["notify_owner"] = Value::Bool(true);
    }
    let share = api
        .create_share(&args.id, &body)
        .await
        .map_err(|e| match e.api_code() {
            Some((409, "not_ready")) => CliError::NotShareable {
                id: args.id.clone(),
            },
            _ => e.for_file(&args.id),
        })?;
    ctx.out.json(&json!({ "share": share }));
    // The URL is the share's purpose: stdout, alone, so `URL=$(dropgate share create ...)` works.
    ctx.out.say(share.url.as_deref().unwrap_or(""));
    if !ctx.out.json {
        let password = if share.password_protected {
            ", password protected"
        } else {
            ""
        };
        eprintln!(
            "Share {} of {}, {}{password}, expires {}.",
            share.id,
            share.file_id,
            downloads_allowed(&share),
            share.expires_at
        );
    }
    Ok(Exit::Ok)
}

/// `3 downloads`, `1 download`, `unlimited downloads`.
fn downloads_allowed(share: &Share) -> String {
    match share.max_downloads {
        Some(1) => "1 download".to_owned(),
        Some(n) => format!("{n} downloads"),
        None => "unlimited downloads".to_owned(),
    }
}

pub async fn ls(ctx: &Ctx, file: Option<&str>) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let shares: Vec<Share> = match file {
        Some(id) => api
            .list_pages(&["files", id, "shares"])
            .await
            .map_err(|e| e.for_file(id))?,
        None => api.list_pages(&["shares"]).await?,
    };
    ctx.out.json(&json!({ "shares": shares }));
    if shares.is_empty() {
        ctx.out.say("No shares.");
        return Ok(Exit::Ok);
    }
    let rows: Vec<Vec<String>> = shares.iter().map(row).collect();
    ctx.out.say(&table(
        &[
            "ID",
            "FILE",
            "STATE",
            "DOWNLOADS",
            "PASSWORD",
            "EXPIRES",
            "LABEL",
        ],
        &rows,
    ));
    Ok(Exit::Ok)
}

fn row(s: &Share) -> Vec<String> {
    let downloads = match s.max_downloads {
        Some(max) => format!("{}/{max}", s.downloads),
        None => format!("{}/-", s.downloads),
    };
    vec![
        s.id.clone(),
        s.file_id.clone(),
        s.state.clone(),
        downloads,
        if s.password_protected { "yes" } else { "no" }.to_owned(),
        s.expires_at.clone(),
        s.label.as_deref().map(printable).unwrap_or_default(),
    ]
}

pub async fn revoke(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    api.revoke_share(id).await.map_err(|e| e.for_file(id))?;
    ctx.out.say(&format!("Revoked {id}."));
    ctx.out.json(&json!({ "revoked": id }));
    Ok(Exit::Ok)
}

pub async fn log(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let downloads: Vec<ShareDownload> = api
        .list_pages(&["shares", id, "downloads"])
        .await
        .map_err(|e| e.for_file(id))?;
    ctx.out.json(&json!({ "downloads": downloads }));
    if downloads.is_empty() {
        ctx.out.say("No downloads.");
        return Ok(Exit::Ok);
    }
    // The address only where the deployment keeps it (`LOG_DOWNLOADER_IP`).
    let with_ip = downloads.iter().any(|d| d.source_ip.is_some());
    let rows: Vec<Vec<String>> = downloads
        .iter()
        .map(|d| {
            let mut r = vec![d.at.clone()];
            if with_ip {
                r.push(d.source_ip.clone().unwrap_or_else(|| "-".into()));
            }
            r.push(printable(&d.user_agent));
            r
        })
        .collect();
    let header: &[&str] = if with_ip {
        &["AT", "SOURCE", "AGENT"]
    } else {
        &["AT", "AGENT"]
    };
    ctx.out.say(&table(header, &rows));
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(v: Value) -> Share {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_row_says_what_the_share_allows_and_never_the_token() {
        let s = share(json!({
            "id": "s1", "file_id": "f1", "label": "for\u{1b}[31m Bea", "state": "active",
            "expires_at": "2026-12-11T10:00:00.000Z", "max_downloads": 3, "downloads": 1,
            "downloads_left": 2, "password_protected": true, "notify_owner": false,
            "created_at": "2026-12-04T10:00:00.000Z",
            "url": "http://x/s/SECRET", "token": "SECRET"
        }));
        assert_eq!(
            row(&s),
            [
                "s1",
                "f1",
                "active",
                "1/3",
                "yes",
                "2026-12-11T10:00:00.000Z",
                "for?[31m Bea"
            ]
        );
        assert_eq!(downloads_allowed(&s), "3 downloads");
        let printed = serde_json::to_value(&s).unwrap();
        assert_eq!(printed["url"], "http://x/s/SECRET");
        assert!(printed.get("token").is_none(), "{printed}");
        assert_eq!(printed["downloads_left"], 2);

        let open = share(json!({"id": "s2", "file_id": "f1", "label": null,
                                "max_downloads": null, "downloads": 0,
                                "password_protected": false, "state": "revoked"}));
        assert_eq!(row(&open)[3], "0/-");
        assert_eq!(row(&open)[4], "no");
        assert_eq!(row(&open)[6], "");
        assert_eq!(downloads_allowed(&open), "unlimited downloads");
        assert!(serde_json::to_value(&open).unwrap().get("url").is_none());
    }
}
