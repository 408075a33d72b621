//! `mfa enable` and `mfa disable`: two-factor sign-in (TOTP) for the logged-in account. Cognito
//! takes these only with the account's own access token, which the session file does not keep:
//! each command refreshes once for a fresh pair (id and access token) and sends both.

use reqwest::Method;
use serde_json::{Value, json};

use super::auth::{ask, missing, password_from_stdin};
use crate::api::Api;
use crate::args::MfaArgs;
use crate::commands::Ctx;
use crate::config::Session;
use crate::error::{CliError, Result};
use crate::output::Exit;

/// The header that carries the access token (docs/API.md, "The caller's own account").
const ACCESS_HEADER: &str = "Dropgate-Access-Token";

struct Own {
    api: Api,
    id: String,
    access: String,
}

async fn own(ctx: &Ctx) -> Result<Own> {
    let session = Session::load(&ctx.config)?.ok_or(CliError::NotLoggedIn)?;
    if session.is_api_token() {
        return Err(CliError::Usage(
            "Two-factor sign-in is changed with a password login, not an API token.".into(),
        ));
    }
    let api = Api::public(&session.api)?;
    let b = call(
        &api,
        Method::POST,
        &["auth", "refresh"],
        None,
        Some(json!({ "refresh_token": session.refresh_token })),
    )
    .await
    .map_err(|e| match e.api_code() {
        Some((401 | 400, _)) => CliError::SessionExpired,
        _ => e,
    })?;
    let field = |k: &str| b[k].as_str().map(str::to_owned).ok_or(api.protocol(200));
    Ok(Own {
        id: field("id_token")?,
        access: field("access_token")?,
        api,
    })
}

/// One request with the id token and the access token; the answer's JSON (`null` for `204`).
async fn call(
    api: &Api,
    method: Method,
    segments: &[&str],
    auth: Option<(&str, &str)>,
    body: Option<Value>,
) -> Result<Value> {
    let url = api.url(segments, &[])?;
    let mut req = api.http().request(method, url);
    if let Some((id, access)) = auth {
        req = req.bearer_auth(id).header(ACCESS_HEADER, access);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| api.unreachable(&e))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| api.unreachable(&e))?;
    let json: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(|_| api.protocol(status))?
    };
    if (200..300).contains(&status) {
        return Ok(json);
    }
    match json.get("error") {
        Some(Value::Object(e)) => Err(CliError::Api {
            status,
            code: e["code"].as_str().unwrap_or("unknown").to_owned(),
            message: e["message"].as_str().unwrap_or_default().to_owned(),
            extra: Default::default(),
        }),
        _ => Err(api.protocol(status)),
    }
}

/// The authenticator's code: the first line of standard input with `--code-stdin`, else a prompt.
fn code(args: &MfaArgs) -> Result<String> {
    if args.code_stdin {
        return password_from_stdin().map_err(|_| missing("a code on standard input"));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return ask("Code from the authenticator app: ");
    }
    Err(missing("a code: pass --code-stdin"))
}

/// A new secret; on a terminal the code is asked for and checked at once, otherwise (a script)
/// the secret is printed and `mfa verify` finishes.
pub async fn enable(ctx: &Ctx, args: MfaArgs) -> Result<Exit> {
    let o = own(ctx).await?;
    let auth = Some((o.id.as_str(), o.access.as_str()));
    let e = call(
        &o.api,
        Method::POST,
        &["account", "mfa", "totp"],
        auth,
        None,
    )
    .await?;
    let (Some(secret), Some(uri)) = (e["secret"].as_str(), e["otpauth_uri"].as_str()) else {
        return Err(o.api.protocol(200));
    };
    ctx.out.say(&format!(
        "Add this account to an authenticator app (scan the URI as a QR code, or type the secret):\n  secret: {secret}\n  URI:    {uri}"
    ));
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if !interactive && !args.code_stdin {
        ctx.out
            .say("Then run `dropgate mfa verify` with a code to turn it on.");
        ctx.out
            .json(&json!({ "secret": secret, "otpauth_uri": uri, "totp": false }));
        return Ok(Exit::Ok);
    }
    verify_code(ctx, &o, &code(&args)?).await
}

/// Turns it on with a code of the secret `mfa enable` printed.
pub async fn verify(ctx: &Ctx, args: MfaArgs) -> Result<Exit> {
    let o = own(ctx).await?;
    verify_code(ctx, &o, &code(&args)?).await
}

async fn verify_code(ctx: &Ctx, o: &Own, c: &str) -> Result<Exit> {
    call(
        &o.api,
        Method::POST,
        &["account", "mfa", "totp", "verify"],
        Some((&o.id, &o.access)),
        Some(json!({ "code": c })),
    )
    .await?;
    ctx.out
        .say("Two-factor sign-in is on: every login asks for a code.");
    ctx.out.json(&json!({ "totp": true }));
    Ok(Exit::Ok)
}

pub async fn disable(ctx: &Ctx, args: MfaArgs) -> Result<Exit> {
    let o = own(ctx).await?;
    let c = code(&args)?;
    call(
        &o.api,
        Method::DELETE,
        &["account", "mfa", "totp"],
        Some((&o.id, &o.access)),
        Some(json!({ "code": c })),
    )
    .await?;
    ctx.out.say("Two-factor sign-in is off.");
    ctx.out.json(&json!({ "totp": false }));
    Ok(Exit::Ok)
}
