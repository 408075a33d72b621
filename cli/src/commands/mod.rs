//! One module per group of commands; `run` dispatches.

mod account;
mod audit;
mod auth;
mod ctx;
mod files;
mod get;
mod holds;
mod links;
mod mfa;
mod password;
mod put;
mod review;
mod shares;
mod tokens;
mod trash;
mod users;
mod versions;
mod webhooks;

pub use ctx::Ctx;

use crate::args::{
    AccountCommand, AdminCommand, Cli, Command, LinkCommand, MfaCommand, PasswordCommand,
    ShareCommand, TokenCommand, TrashCommand, WebhookCommand,
};
use crate::config::ConfigDir;
use crate::error::Result;
use crate::output::Exit;

pub async fn run(cli: Cli) -> Result<Exit> {
    let ctx = Ctx {
        out: crate::output::Output::new(cli.json, cli.command.writes_bytes_to_stdout()),
        config: ConfigDir::locate()?,
        api: cli.api,
    };
    match cli.command {
        Command::Login(args) => auth::login(&ctx, args).await,
        Command::Logout => auth::logout(&ctx).await,
        Command::Put(args) => put::put(&ctx, args).await,
        Command::Drop(args) => put::drop(&ctx, args).await,
        Command::Ls => files::ls(&ctx).await,
        Command::Get(args) => get::get(&ctx, args).await,
        Command::Rm { id } => files::rm(&ctx, &id).await,
        Command::Quota => files::quota(&ctx).await,
        Command::Link(LinkCommand::Create(args)) => links::create(&ctx, args).await,
        Command::Link(LinkCommand::Ls) => links::ls(&ctx).await,
        Command::Link(LinkCommand::Revoke { id }) => links::revoke(&ctx, &id).await,
        Command::Share(ShareCommand::Create(args)) => shares::create(&ctx, args).await,
        Command::Share(ShareCommand::Ls { id }) => shares::ls(&ctx, id.as_deref()).await,
        Command::Share(ShareCommand::Revoke { share_id }) => shares::revoke(&ctx, &share_id).await,
        Command::Share(ShareCommand::Log { share_id }) => shares::log(&ctx, &share_id).await,
        Command::Password(PasswordCommand::Reset(args)) => password::reset(&ctx, args).await,
        Command::Mfa(MfaCommand::Enable(args)) => mfa::enable(&ctx, args).await,
        Command::Mfa(MfaCommand::Verify(args)) => mfa::verify(&ctx, args).await,
        Command::Mfa(MfaCommand::Disable(args)) => mfa::disable(&ctx, args).await,
        Command::Trash(TrashCommand::Ls) => trash::ls(&ctx).await,
        Command::Trash(TrashCommand::Restore { id }) => trash::restore(&ctx, &id).await,
        Command::Trash(TrashCommand::Purge { id }) => trash::purge(&ctx, &id).await,
        Command::Token(TokenCommand::Create(args)) => tokens::create(&ctx, args).await,
        Command::Token(TokenCommand::Ls) => tokens::ls(&ctx).await,
        Command::Token(TokenCommand::Rm { id }) => tokens::rm(&ctx, &id).await,
        Command::Retention(args) => files::retention(&ctx, args).await,
        Command::Versions { id } => versions::ls(&ctx, &id).await,
        Command::Restore { id, version } => versions::restore(&ctx, &id, version).await,
        Command::Admin(AdminCommand::Audit(args)) => audit::run(&ctx, *args).await,
        Command::Admin(AdminCommand::Users {
            query,
            limit,
            cursor,
        }) => users::list(&ctx, query.as_deref(), limit, cursor.as_deref()).await,
        Command::Admin(AdminCommand::User { id }) => users::show(&ctx, &id).await,
        Command::Admin(AdminCommand::Quota { id, size }) => users::quota(&ctx, &id, &size).await,
        Command::Admin(AdminCommand::Disable { id }) => users::switch(&ctx, &id, true).await,
        Command::Admin(AdminCommand::Enable { id }) => users::switch(&ctx, &id, false).await,
        Command::Admin(AdminCommand::Review {
            status,
            owner,
            link,
            cursor,
        }) => {
            review::review(
                &ctx,
                &status,
                owner.as_deref(),
                link.as_deref(),
                cursor.as_deref(),
            )
            .await
        }
        Command::Admin(AdminCommand::Release { id }) => review::release(&ctx, &id).await,
        Command::Admin(AdminCommand::Hold { id, reason }) => holds::hold(&ctx, &id, &reason).await,
        Command::Admin(AdminCommand::Unhold { id }) => holds::unhold(&ctx, &id).await,
        Command::Admin(AdminCommand::DeleteFile { id, yes }) => {
            review::delete_file(&ctx, &id, yes).await
        }
        Command::Admin(AdminCommand::Links { cursor }) => {
            review::links(&ctx, cursor.as_deref()).await
        }
        Command::Admin(AdminCommand::RevokeLink { id }) => review::revoke_link(&ctx, &id).await,
        Command::Admin(AdminCommand::Erase { id, yes }) => account::erase(&ctx, &id, yes).await,
        Command::Account(AccountCommand::Delete(args)) => account::delete(&ctx, args).await,
        Command::Webhook(WebhookCommand::Create(args)) => webhooks::create(&ctx, args).await,
        Command::Webhook(WebhookCommand::Ls) => webhooks::ls(&ctx).await,
        Command::Webhook(WebhookCommand::Rm { id }) => webhooks::rm(&ctx, &id).await,
        Command::Webhook(WebhookCommand::Verify(args)) => webhooks::verify(&ctx, args),
        Command::Webhook(WebhookCommand::Test { id }) => webhooks::test(&ctx, &id).await,
        Command::Webhook(WebhookCommand::Deliveries { id, cursor }) => {
            webhooks::deliveries(&ctx, &id, cursor.as_deref()).await
        }
        Command::Webhook(WebhookCommand::Pause { id }) => {
            webhooks::set_state(&ctx, &id, "paused").await
        }
        Command::Webhook(WebhookCommand::Resume { id }) => {
            webhooks::set_state(&ctx, &id, "active").await
        }
        Command::Webhook(WebhookCommand::Redeliver { id, delivery_id }) => {
            webhooks::redeliver(&ctx, &id, &delivery_id).await
        }
    }
}
