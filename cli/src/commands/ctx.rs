//! What every command gets: a leaf, so that the commands and their dispatcher both use it
//! without depending on each other.

use crate::api::Api;
use crate::config::ConfigDir;
use crate::error::Result;
use crate::output::Output;

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
