//! `account delete` (the caller's own account, `DELETE /account`) and `admin erase ID --yes`
//! (`DELETE /admin/users/{id}`): one erasure on the server, two doors (docs/API.md, "Erasure").

use std::io::IsTerminal;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{ask, env_value, missing, password_from_stdin};
use crate::api::{Api, Repeat};
use crate::args::AccountDeleteArgs;
use crate::commands::Ctx;
use crate::config::Session;
use crate::error::{CliError, Result};
use crate::output::{Exit, printable};
use crate::units::bytes;

#[derive(Deserialize)]
struct Answer {
    erasure: Value,
}

#[derive(Deserialize)]
struct Counts {
    files: u64,
    bytes: u64,
    links: u64,
    shares: u64,
    at: String,
}

fn counts(v: &Value) -> Result<Counts> {
    serde_json::from_value(v.clone())
        .map_err(|_| CliError::Config("the API answered an erasure this CLI cannot read".into()))
}

fn summary(c: &Counts) -> String {
    format!(
        "{} files ({}), {} upload links, {} shares removed; begun {}",
        c.files,
        bytes(c.bytes),
        c.links,
        c.shares,
        printable(&c.at)
    )
}

/// `dropgate admin erase ID --yes`.
pub async fn erase(ctx: &Ctx, id: &str, yes: bool) -> Result<Exit> {
    if !yes {
        return Err(CliError::Usage(format!(
            "Erasing account {} removes everything it holds and cannot be undone; run again with --yes.",
            printable(id)
        )));
    }
    let api = ctx.logged_in()?;
    let url = api.url(&["admin", "users", id], &[])?;
    // A repeat finishes an erasure cut short, and answers 404 for one already done.
    let a: Answer = api.json(Method::DELETE, url, None, Repeat::Safe).await?;
    ctx.out.json(&json!({ "erasure": a.erasure }));
    let c = counts(&a.erasure)?;
    ctx.out.say(&format!(
        "Account {} erased: {}.",
        printable(id),
        summary(&c)
    ));
    Ok(Exit::Ok)
}

/// The authenticator's code when the account has two-factor sign-in on (`GET /account/mfa`),
/// asked last so that it is still current when sent; `None` when it is off.
async fn second_factor(
    api: &Api,
    args: &AccountDeleteArgs,
    interactive: bool,
) -> Result<Option<String>> {
    let url = api.url(&["account", "mfa"], &[])?;
    let state: Value = api.json(Method::GET, url, None, Repeat::Safe).await?;
    if state["totp"]["enabled"].as_bool() != Some(true) {
        return Ok(None);
    }
    let code = if args.totp_stdin {
        password_from_stdin().map_err(|_| missing("a two-factor code on standard input"))?
    } else if interactive {
        ask("Code from the authenticator app: ")?
    } else {
        return Err(missing(
            "a two-factor code (the account has it on): pass --totp-stdin",
        ));
    };
    Ok(Some(code.trim().to_owned()))
}

/// `dropgate account delete [--password-stdin] [--totp-stdin] [--yes]`.
pub async fn delete(ctx: &Ctx, args: AccountDeleteArgs) -> Result<Exit> {
    let interactive = std::io::stdin().is_terminal();
    let api = ctx.logged_in()?;
    let session = Session::load(&ctx.config)?.ok_or(CliError::NotLoggedIn)?;
    if session.is_api_token() {
        return Err(CliError::Usage(
            "An API token cannot delete an account; log in with the password first.".into(),
        ));
    }
    let password = if args.password_stdin {
        password_from_stdin()?
    } else if let Some(p) = env_value("DROPGATE_PASSWORD") {
        p
    } else if interactive {
        rpassword::prompt_password("Password: ").map_err(|e| CliError::io("the terminal", e))?
    } else {
        return Err(missing(
            "the password: pass --password-stdin or set DROPGATE_PASSWORD",
        ));
    };
    if !args.yes {
        if !interactive && !args.password_stdin {
            return Err(missing("a confirmation: pass --yes"));
        }
        eprintln!(
            "This deletes the account {} and everything it holds, for good.",
            printable(&session.email)
        );
        let typed = ask("Type the account's email to confirm: ")?;
        if !typed.eq_ignore_ascii_case(session.email.trim()) {
            return Err(CliError::Usage(
                "That is not the account's email; nothing was deleted.".into(),
            ));
        }
    }
    let code = second_factor(&api, &args, interactive).await?;
    let url = api.url(&["account"], &[])?;
    let mut body = json!({ "password": password });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    let a: Answer = api
        .json(Method::DELETE, url, Some(&body), Repeat::OnlyUnsent)
        .await?;
    // The account is gone: so is its session here.
    Session::remove(&ctx.config)?;
    ctx.out.json(&json!({ "erasure": a.erasure }));
    let c = counts(&a.erasure)?;
    ctx.out.say(&format!(
        "Account deleted: {}. A receipt is on its way to {}.",
        summary(&c),
        printable(&session.email)
    ));
    Ok(Exit::Ok)
}
