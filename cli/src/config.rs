//! Where the client keeps its state: the config directory (0700), the session file and the
//! resume states (0600 each, written whole through a rename so a kill never leaves half a file).

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

#[derive(Debug, Clone)]
pub struct ConfigDir(PathBuf);

impl ConfigDir {
    /// `$DROPGATE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dropgate`, else `$HOME/.config/dropgate`.
    pub fn locate() -> Result<Self> {
        Self::from_vars(|k| std::env::var_os(k))
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        // Empty or relative XDG values are to be ignored (XDG base directory spec).
        let set = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(dir) = set("DROPGATE_CONFIG_DIR") {
            return Ok(Self(dir));
        }
        if let Some(xdg) = set("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
            return Ok(Self(xdg.join("dropgate")));
        }
        match set("HOME") {
            Some(home) => Ok(Self(home.join(".config").join("dropgate"))),
            None => Err(CliError::Config(
                "Cannot find a config directory: set DROPGATE_CONFIG_DIR or HOME.".into(),
            )),
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn session_file(&self) -> PathBuf {
        self.0.join("session.json")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.0.join("uploads")
    }
}

/// Creates `dir` and its missing parents, owner-only (0700); a `dir` that exists with looser
/// permissions (made by hand, or by an older version) is tightened to 0700.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CliError::io(dir, e))?;
    let meta = std::fs::metadata(dir).map_err(|e| CliError::io(dir, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| CliError::io(dir, e))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` as a new 0600 file, then renames it into place: readers see the
/// old file or the new one, never a torn one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    // A leftover of a killed run goes first: the new file is created, never opened, and a
    // symlink planted in its place is refused rather than followed.
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::io(path, e)
    })
}

/// Removes a file; one already gone is fine.
pub fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::io(path, e)),
        _ => Ok(()),
    }
}

/// Reads and parses a JSON file; `None` when it does not exist or no longer parses (a state
/// from another version is as good as none).
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::io(path, e)),
    }
}

/// What an API token starts with.
pub const API_TOKEN_PREFIX: &str = "dgt_";

/// The login: which API, as whom, and the tokens (secrets: only ever in this 0600 file).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub api: String,
    pub email: String,
    pub id_token: String,
    pub refresh_token: String,
    /// When the id token expires, seconds since the Unix epoch.
    pub expires_at: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("api", &self.api)
            .field("email", &self.email)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn load(dir: &ConfigDir) -> Result<Option<Session>> {
        read_json(&dir.session_file())
    }

    pub fn save(&self, dir: &ConfigDir) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("a session serializes");
        write_private(&dir.session_file(), &json)
    }

    pub fn remove(dir: &ConfigDir) -> Result<()> {
        remove_if_present(&dir.session_file())
    }

    /// A session that is an API token (`dropgate login --token-stdin`, or `DROPGATE_TOKEN`):
    /// the token is the bearer credential, there is nothing to refresh.
    pub fn with_api_token(api: String, token: String) -> Session {
        Session {
            api,
            email: String::new(),
            id_token: token,
            refresh_token: String::new(),
            expires_at: u64::MAX,
        }
    }

    /// Whether the credential is an API token (`dgt_...`) rather than an id token.
    pub fn is_api_token(&self) -> bool {
        self.id_token.starts_with(API_TOKEN_PREFIX)
    }

    /// True when the id token expires within `margin_secs` (or has); an API token never
    /// expires here (the server says when it does).
    pub fn expiring(&self, margin_secs: u64) -> bool {
        !self.is_api_token() && now_secs().saturating_add(margin_secs) >= self.expires_at
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into())
        }
    }

    #[test]
    fn config_dir_order() {
        let d = |p: &[(&str, &str)]| ConfigDir::from_vars(vars(p)).map(|d| d.0);
        assert_eq!(
            d(&[
                ("DROPGATE_CONFIG_DIR", "/x"),
                ("XDG_CONFIG_HOME", "/y"),
                ("HOME", "/h")
            ])
            .unwrap(),
            PathBuf::from("/x")
        );
        assert_eq!(
            d(&[("XDG_CONFIG_HOME", "/y"), ("HOME", "/h")]).unwrap(),
            PathBuf::from("/y/dropgate")
        );
        assert_eq!(
            d(&[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")]).unwrap(),
            PathBuf::from("/h/.config/dropgate")
        );
        assert_eq!(
            d(&[("DROPGATE_CONFIG_DIR", ""), ("HOME", "/h")]).unwrap(),
            PathBuf::from("/h/.config/dropgate")
        );
        assert!(d(&[]).is_err());
    }

    #[test]
    fn session_file_is_private_and_round_trips() {
        let root = crate::testdir::TestDir::new("session");
        let dir = ConfigDir(root.path().join("nested").join("dropgate"));
        let s = Session {
            api: "http://127.0.0.1:3000".into(),
            email: "ada@example.com".into(),
            id_token: "id-secret".into(),
            refresh_token: "refresh-secret".into(),
            expires_at: 10,
        };
        s.save(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.session_file()), 0o600);
        assert_eq!(mode(dir.path()), 0o700);
        // A directory left looser is tightened at the next write.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        s.save(&dir).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(Session::load(&dir).unwrap(), Some(s.clone()));
        assert!(s.expiring(0));
        let debug = format!("{s:?}");
        assert!(!debug.contains("secret"), "{debug}");
        Session::remove(&dir).unwrap();
        Session::remove(&dir).unwrap();
        assert_eq!(Session::load(&dir).unwrap(), None);
    }
}
