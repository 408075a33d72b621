//! One module per group of commands; `run` dispatches.

mod auth;
mod files;
mod get;
mod links;
mod put;

use crate::api::Api;
use crate::args::{Cli, Command, LinkCommand};
use crate::config::ConfigDir;
use crate::error::Result;
use crate::output::{Exit, Output};

/// What every command gets.
pub struct Ctx {
    pub out: Output,
    pub config: ConfigDir,
    /// `--api` as given on the command line.
    pub api: Option<String>,
}

impl Ctx {
    /// The API with the saved session.
    pub fn logged_in(&self) -> Result<Api> {
        Api::logged_in(self.config.clone(), self.api.as_deref())
    }
}

pub async fn run(cli: Cli) -> Result<Exit> {
    let ctx = Ctx {
        out: crate::output::Output { json: cli.json },
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
    }
}
