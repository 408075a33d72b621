//! One module per group of commands; `run` dispatches.

mod audit;
mod auth;
mod ctx;
mod files;
mod get;
mod links;
mod password;
mod put;
mod shares;
mod trash;

pub use ctx::Ctx;

use crate::args::{
    AdminCommand, Cli, Command, LinkCommand, PasswordCommand, ShareCommand, TrashCommand,
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
        Command::Trash(TrashCommand::Ls) => trash::ls(&ctx).await,
        Command::Trash(TrashCommand::Restore { id }) => trash::restore(&ctx, &id).await,
        Command::Trash(TrashCommand::Purge { id }) => trash::purge(&ctx, &id).await,
        Command::Admin(AdminCommand::Audit(args)) => audit::run(&ctx, args).await,
    }
}
