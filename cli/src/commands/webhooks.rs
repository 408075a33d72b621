//! `webhook create`, `ls`, `rm`, `test`, `deliveries`, `pause`, `resume`, `redeliver`, and
//! `verify` (a delivery's signature, checked offline with the server's own rules from
//! dropgate-core, for people testing their receivers).

use std::io::Read;

use dropgate_core::webhooks::key_of;
use dropgate_core::webhooks::signature::{Invalid, verify as check};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::Repeat;
use crate::args::{WebhookCreateArgs, WebhookVerifyArgs};
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, table};

pub async fn create(ctx: &Ctx, args: WebhookCreateArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let events: Vec<&str> = args
        .events
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let mut body = json!({ "url": args.url, "events": events });
    if let Some(d) = &args.description {
        body["description"] = json!(d);
    }
    let url = api.url(&["webhooks"], &[])?;
    let answer: Value = api
        .json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
        .await?;
    let hook = &answer["webhook"];
    ctx.out.json(&answer);
    // The secret is shown this once: stdout, alone, so `SECRET=$(dropgate webhook create ...)`
    // works; the rest goes to stderr.
    ctx.out.say(hook["secret"].as_str().unwrap_or_default());
    if !ctx.out.json {
        eprintln!(
            "Webhook {} for {}. Keep the secret above: it is not shown again.",
            hook["id"].as_str().unwrap_or_default(),
            join(&hook["events"]),
        );
    }
    Ok(Exit::Ok)
}

fn join(list: &Value) -> String {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

pub async fn ls(ctx: &Ctx) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["webhooks"], &[])?;
    let answer: Value = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out.json(&answer);
    let hooks = answer["webhooks"].as_array().cloned().unwrap_or_default();
    if hooks.is_empty() {
        ctx.out.say("No webhooks.");
        return Ok(Exit::Ok);
    }
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let rows: Vec<Vec<String>> = hooks
        .iter()
        .map(|h| {
            vec![
                text(h, "id"),
                text(h, "state"),
                join(&h["events"]),
                text(h, "url"),
            ]
        })
        .collect();
    ctx.out
        .say(&table(&["ID", "STATE", "EVENTS", "URL"], &rows));
    Ok(Exit::Ok)
}

pub async fn rm(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["webhooks", id], &[])?;
    api.request(Method::DELETE, url, None, Repeat::Safe).await?;
    ctx.out.say(&format!("Removed {id}."));
    ctx.out.json(&json!({ "removed": id }));
    Ok(Exit::Ok)
}

pub async fn test(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["webhooks", id, "test"], &[])?;
    let answer: Value = api
        .json(Method::POST, url, None, Repeat::OnlyUnsent)
        .await?;
    ctx.out.json(&answer);
    ctx.out.say(&format!(
        "Ping {} sent to {id}; `dropgate webhook deliveries {id}` shows what came of it.",
        answer["delivery_id"].as_str().unwrap_or_default()
    ));
    Ok(Exit::Ok)
}

pub async fn deliveries(ctx: &Ctx, id: &str, cursor: Option<&str>) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let query: Vec<(&str, &str)> = cursor.map(|c| ("cursor", c)).into_iter().collect();
    let url = api.url(&["webhooks", id, "deliveries"], &query)?;
    let answer: Value = api.json(Method::GET, url, None, Repeat::Safe).await?;
    ctx.out.json(&answer);
    let list = answer["deliveries"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        ctx.out.say("No deliveries.");
        return Ok(Exit::Ok);
    }
    let text = |v: &Value, k: &str| match &v[k] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let outcome = match (text(d, "status_code"), text(d, "error")) {
                (code, _) if !code.is_empty() => code,
                (_, error) => error,
            };
            vec![
                text(d, "at"),
                text(d, "id"),
                text(d, "type"),
                text(d, "attempt"),
                outcome,
                format!("{} ms", text(d, "duration_ms")),
                text(d, "next_attempt_at"),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &[
            "AT", "DELIVERY", "TYPE", "ATTEMPT", "RESULT", "TOOK", "NEXT",
        ],
        &rows,
    ));
    if let Some(next) = answer["next_cursor"].as_str() {
        ctx.out.say(&format!(
            "More: dropgate webhook deliveries {id} --cursor {next}"
        ));
    }
    Ok(Exit::Ok)
}

/// `pause` and `resume`: `PATCH /webhooks/{id} {state}`.
pub async fn set_state(ctx: &Ctx, id: &str, state: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["webhooks", id], &[])?;
    let answer: Value = api
        .json(
            Method::PATCH,
            url,
            Some(&json!({ "state": state })),
            Repeat::Safe,
        )
        .await?;
    ctx.out.json(&answer);
    ctx.out.say(&format!(
        "Webhook {id} is {}.",
        answer["webhook"]["state"].as_str().unwrap_or(state)
    ));
    Ok(Exit::Ok)
}

pub async fn redeliver(ctx: &Ctx, id: &str, delivery_id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(
        &["webhooks", id, "deliveries", delivery_id, "redeliver"],
        &[],
    )?;
    let answer: Value = api
        .json(Method::POST, url, None, Repeat::OnlyUnsent)
        .await?;
    ctx.out.json(&answer);
    ctx.out.say(&format!("Delivery {delivery_id} sent again."));
    Ok(Exit::Ok)
}

/// Exit 0 when the signature is valid and the timestamp within 5 minutes of this machine's
/// clock; 1 otherwise, saying which.
pub fn verify(ctx: &Ctx, args: WebhookVerifyArgs) -> Result<Exit> {
    let key = key_of(&args.secret).ok_or_else(|| {
        CliError::Usage("--secret must be the webhook's secret, `whsec_` and base64".into())
    })?;
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| CliError::Usage(format!("cannot read the body from stdin: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let verdict = check(&key, &args.id, args.timestamp, &body, &args.signature, now);
    let (valid, why) = match verdict {
        Ok(()) => (true, "valid"),
        Err(Invalid::Signature) => (
            false,
            "invalid: no signature matches this body, id and timestamp",
        ),
        Err(Invalid::Timestamp) => (
            false,
            "invalid: the timestamp is more than 5 minutes from now",
        ),
    };
    ctx.out.json(&json!({ "valid": valid, "reason": why }));
    if valid {
        ctx.out.say(why);
        Ok(Exit::Ok)
    } else {
        if !ctx.out.json {
            eprintln!("{why}");
        }
        Ok(Exit::Error)
    }
}
