//! `login` and `logout`.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use crate::api::Api;
use crate::args::LoginArgs;
use crate::commands::Ctx;
use crate::config::{API_TOKEN_PREFIX, Session, now_secs};
use crate::error::{CliError, Result};
use crate::output::Exit;
use crate::wire::LoginAnswer;

pub async fn login(ctx: &Ctx, args: LoginArgs) -> Result<Exit> {
    let interactive = std::io::stdin().is_terminal();
    let api = match ctx.api.clone().or_else(|| env_value("DROPGATE_API")) {
        Some(api) => api,
        None if interactive => ask("API URL: ")?,
        None => return Err(missing("the API's URL: pass --api URL or set DROPGATE_API")),
    };
    let api = Api::public(&api)?;
    if args.token_stdin {
        return keep_api_token(ctx, &api).await;
    }
    let email = match args.email.filter(|e| !e.trim().is_empty()) {
        Some(email) => email,
        None if interactive => ask("Email: ")?,
        None => {
            return Err(missing(
                "an email: pass --email EMAIL or set DROPGATE_EMAIL",
            ));
        }
    };
    let password = if args.password_stdin {
        password_from_stdin()?
    } else if let Some(p) = env_value("DROPGATE_PASSWORD") {
        p
    } else if interactive {
        rpassword::prompt_password("Password: ").map_err(|e| CliError::io("the terminal", e))?
    } else {
        return Err(missing(
            "a password: pass --password-stdin or set DROPGATE_PASSWORD",
        ));
    };

    let tokens = match api.login(email.trim(), &password).await? {
        LoginAnswer::Tokens(t) => t,
        LoginAnswer::Challenge { challenge, session } if challenge == "totp" => {
            let code = if args.totp_stdin {
                password_from_stdin().map_err(|_| missing("a two-factor code on standard input"))?
            } else if interactive {
                ask("Code from the authenticator app: ")?
            } else {
                return Err(missing(
                    "a two-factor code (the account has it on): pass --totp-stdin",
                ));
            };
            api.login_totp(&session, code.trim()).await?
        }
        LoginAnswer::Challenge { .. } => return Err(api.protocol(200)),
    };
    let refresh_token = tokens.refresh_token.ok_or_else(|| api.protocol(200))?;
    let session = Session {
        api: api.base().to_owned(),
        email: email.trim().to_owned(),
        id_token: tokens.id_token,
        refresh_token,
        expires_at: now_secs() + tokens.expires_in,
    };
    session.save(&ctx.config)?;
    ctx.out.say(&format!(
        "Logged in to {} as {}.",
        session.api, session.email
    ));
    ctx.out
        .json(&json!({ "api": session.api, "email": session.email }));
    Ok(Exit::Ok)
}

/// `login --token-stdin`: the API token on standard input, checked against the API (`GET
/// /quota`, which every scope may read) before it is kept as the session.
async fn keep_api_token(ctx: &Ctx, api: &Api) -> Result<Exit> {
    let token = password_from_stdin()?.trim().to_owned();
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Err(CliError::Usage(
            "Not an API token on standard input (they start with dgt_).".into(),
        ));
    }
    let session = Session::with_api_token(api.base().to_owned(), token);
    session.save(&ctx.config)?;
    let checked = async {
        Api::logged_in(ctx.config.clone(), Some(api.base()))?
            .quota()
            .await
    }
    .await;
    if let Err(e) = checked {
        Session::remove(&ctx.config)?;
        return Err(e);
    }
    ctx.out
        .say(&format!("Logged in to {} with an API token.", session.api));
    ctx.out
        .json(&json!({ "api": session.api, "api_token": true }));
    Ok(Exit::Ok)
}

pub async fn logout(ctx: &Ctx) -> Result<Exit> {
    let Some(session) = Session::load(&ctx.config)? else {
        // A session file that does not parse may still hold tokens: it goes too.
        Session::remove(&ctx.config)?;
        ctx.out.say("Not logged in.");
        ctx.out.json(&json!({ "logged_out": false }));
        return Ok(Exit::Ok);
    };
    if session.is_api_token() {
        // An API token is revoked with `dropgate token rm` (by a password login): logging out
        // only forgets it here.
        Session::remove(&ctx.config)?;
        ctx.out
            .say("Logged out on this machine (the API token itself stays valid).");
        ctx.out
            .json(&json!({ "logged_out": true, "revoked": false }));
        return Ok(Exit::Ok);
    }
    // The server revokes the refresh token, so a copy of the session file is worth nothing
    // either. The local session goes whatever the server answers: an unreachable API keeps
    // nobody logged in on this machine.
    let revoked = async {
        Api::public(&session.api)?
            .logout(&session.refresh_token)
            .await
    }
    .await;
    Session::remove(&ctx.config)?;
    match &revoked {
        Ok(()) => ctx.out.say("Logged out."),
        Err(e) => {
            ctx.out.say("Logged out on this machine.");
            eprintln!(
                "warning: the server did not end the session: {e} Its refresh token stays valid until it expires."
            );
        }
    }
    ctx.out
        .json(&json!({ "logged_out": true, "revoked": revoked.is_ok() }));
    Ok(Exit::Ok)
}

pub(super) fn missing(what: &str) -> CliError {
    CliError::Usage(format!("Missing {what}."))
}

pub(super) fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(super) fn ask(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::io("standard input", e))?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(CliError::Usage(format!(
            "Nothing given for {}",
            prompt.trim_end_matches(": ")
        )));
    }
    Ok(line)
}

/// The first line of standard input, without its line ending.
pub(super) fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::io("standard input", e))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(missing("a password on standard input"));
    }
    Ok(password.to_owned())
}
