//! `password reset`: a forgotten password, reset with the code mailed to the account's address.

use std::io::IsTerminal;

use serde_json::json;

use super::auth::{ask, env_value, missing, password_from_stdin};
use crate::api::Api;
use crate::args::ResetArgs;
use crate::commands::Ctx;
use crate::config::Session;
use crate::error::{CliError, Result};
use crate::output::Exit;

pub async fn reset(ctx: &Ctx, args: ResetArgs) -> Result<Exit> {
    let interactive = std::io::stdin().is_terminal();
    let api = match ctx.api.clone().or_else(|| env_value("DROPGATE_API")) {
        Some(api) => api,
        None => match Session::load(&ctx.config).ok().flatten() {
            Some(s) => s.api,
            None if interactive => ask("API URL: ")?,
            None => return Err(missing("the API's URL: pass --api URL or set DROPGATE_API")),
        },
    };
    let api = Api::public(&api)?;
    let email = match args.email.filter(|e| !e.trim().is_empty()) {
        Some(email) => email.trim().to_owned(),
        None if interactive => ask("Email: ")?,
        None => {
            return Err(missing(
                "an email: pass --email EMAIL or set DROPGATE_EMAIL",
            ));
        }
    };
    let code = match args.code.filter(|c| !c.trim().is_empty()) {
        Some(code) => code.trim().to_owned(),
        None => {
            api.forgot(&email).await?;
            ctx.out.say(&format!(
                "If {email} has an account, a code is on its way there."
            ));
            if !interactive {
                // A script runs again with the code it read from the mail.
                ctx.out
                    .say("Run again with --code CODE to set the new password.");
                ctx.out.json(&json!({ "email": email, "code_sent": true }));
                return Ok(Exit::Ok);
            }
            ask("Code: ")?
        }
    };
    let password = if args.password_stdin {
        password_from_stdin()?
    } else if let Some(p) = env_value("DROPGATE_PASSWORD") {
        p
    } else if interactive {
        rpassword::prompt_password("New password: ").map_err(|e| CliError::io("the terminal", e))?
    } else {
        return Err(missing(
            "a new password: pass --password-stdin or set DROPGATE_PASSWORD",
        ));
    };
    api.reset(&email, &code, &password).await?;
    ctx.out.say(&format!(
        "Password reset for {email}; every session of the account has ended. Log in again."
    ));
    ctx.out.json(&json!({ "email": email, "reset": true }));
    Ok(Exit::Ok)
}
