//! `versions ID` and `restore ID [--version N]`: a file's versions, and making an older one
//! current again (the server moves a pointer; no bytes are copied).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::Repeat;
use crate::commands::Ctx;
use crate::error::{CliError, Result};
use crate::output::{Exit, table};
use crate::units::bytes;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub n: u32,
    pub size: u64,
    #[serde(default)]
    pub detected_type: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: String,
    pub current: bool,
}

#[derive(Debug, Deserialize)]
struct Versions {
    versions: Vec<Version>,
}

/// Which version `restore` without `--version` makes current: the newest accepted one older
/// than the current (an undo of the last new version).
pub fn previous(versions: &[Version]) -> Option<u32> {
    let current = versions.iter().find(|v| v.current)?.n;
    versions
        .iter()
        .filter(|v| v.n < current && v.status == "accepted")
        .map(|v| v.n)
        .max()
}

fn show(ctx: &Ctx, versions: &[Version]) {
    ctx.out.json(&json!({ "versions": versions }));
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                if v.current { "*" } else { "" }.to_owned(),
                v.n.to_string(),
                bytes(v.size),
                match &v.reason {
                    Some(r) => format!("{} ({r})", v.status),
                    None => v.status.clone(),
                },
                v.detected_type.clone().unwrap_or_default(),
                v.created_at.clone(),
            ]
        })
        .collect();
    ctx.out.say(&table(
        &["", "VERSION", "SIZE", "STATUS", "TYPE", "CREATED"],
        &rows,
    ));
}

pub async fn ls(ctx: &Ctx, id: &str) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let url = api.url(&["files", id, "versions"], &[])?;
    let list: Versions = api
        .json(Method::GET, url, None, Repeat::Safe)
        .await
        .map_err(|e| e.for_file(id))?;
    show(ctx, &list.versions);
    Ok(Exit::Ok)
}

pub async fn restore(ctx: &Ctx, id: &str, version: Option<u32>) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let n = match version {
        Some(n) => n,
        None => {
            let url = api.url(&["files", id, "versions"], &[])?;
            let list: Versions = api
                .json(Method::GET, url, None, Repeat::Safe)
                .await
                .map_err(|e| e.for_file(id))?;
            previous(&list.versions).ok_or_else(|| {
                CliError::Usage(format!(
                    "{id} has no accepted version before its current one: pass --version N."
                ))
            })?
        }
    };
    let n_text = n.to_string();
    let url = api.url(&["files", id, "versions", &n_text, "restore"], &[])?;
    let list: Versions = api
        .json(Method::POST, url, None, Repeat::Safe)
        .await
        .map_err(|e| e.for_file(id))?;
    ctx.out.say(&format!("Version {n} of {id} is current."));
    show(ctx, &list.versions);
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: u32, status: &str, current: bool) -> Version {
        Version {
            n,
            size: 1,
            detected_type: None,
            status: status.into(),
            reason: None,
            created_at: String::new(),
            current,
        }
    }

    #[test]
    fn restore_without_a_number_goes_back_to_the_newest_accepted_before_the_current() {
        let vs = [
            v(1, "accepted", false),
            v(2, "rejected", false),
            v(3, "accepted", true),
            v(4, "accepted", false),
        ];
        assert_eq!(previous(&vs), Some(1));
        assert_eq!(previous(&[v(1, "accepted", true)]), None);
    }
}
