//! What lets an interrupted upload resume: a small state file per local file version, keyed by
//! the file's canonical path, size and modification time, at
//! `<config dir>/uploads/<sha256 of the key>.json` (0600). Written right after the upload is
//! created, removed once it is complete. A file that changed (another size or mtime) has
//! another key, so it never resumes into the old upload. Here too the checks both upload paths
//! (single PUT and parts) make against that key: the name a file uploads under, and that the
//! file is still the version its upload was planned for.

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{ConfigDir, read_json, remove_if_present, write_private};
use crate::endpoints::Target;
use crate::error::{CliError, Result};

/// One version of one local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    pub path: PathBuf,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

impl FileKey {
    pub fn of(path: &Path) -> Result<FileKey> {
        let canonical = std::fs::canonicalize(path).map_err(|e| CliError::io(path, e))?;
        let meta = std::fs::metadata(&canonical).map_err(|e| CliError::io(path, e))?;
        if !meta.is_file() {
            return Err(CliError::io(
                path,
                std::io::Error::other("not a regular file"),
            ));
        }
        Ok(FileKey {
            path: canonical,
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        })
    }

    /// The state file's name: nothing of the path shows in it.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.path.as_os_str().as_bytes());
        h.update([0]);
        h.update(self.size.to_be_bytes());
        h.update(self.mtime_ns.to_be_bytes());
        hex::encode(h.finalize())
    }
}

/// The name the server is given: the path's last part. A path that is not UTF-8 is refused
/// before anything is reserved: the server takes UTF-8 names only, and the resume state names
/// the path.
pub fn file_name(path: &Path) -> Result<String> {
    let bad = |why: &str| CliError::io(path, std::io::Error::other(why.to_owned()));
    if path.to_str().is_none() {
        return Err(bad("the path is not valid UTF-8; rename the file"));
    }
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| bad("not a file name"))
}

/// The file is still the version the upload was planned for.
pub fn ensure_unchanged(path: &Path, key: &FileKey) -> Result<()> {
    if FileKey::of(path)? == *key {
        Ok(())
    } else {
        Err(CliError::Changed {
            name: file_name(path)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Put,
    Multipart,
}

/// Where an upload went, enough to find it again.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadState {
    pub api: String,
    /// `account`, or `link:<sha256 of the link's token>`: the same file dropped through another
    /// link (or put in the account) does not resume into this upload.
    pub destination: String,
    pub target: Target,
    pub method: Method,
    #[serde(default)]
    pub part_size: Option<u64>,
    #[serde(default)]
    pub part_count: Option<u32>,
    pub name: String,
    /// The key again, so a state is only ever used for the file version it was written for.
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i128,
}

impl fmt::Debug for UploadState {
    // The receipt is a secret of its own: kept out of any debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadState")
            .field("api", &self.api)
            .field("method", &self.method)
            .field("name", &self.name)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

pub struct ResumeStore {
    dir: PathBuf,
}

impl ResumeStore {
    pub fn new(config: &ConfigDir) -> Self {
        Self {
            dir: config.uploads_dir(),
        }
    }

    fn file(&self, key: &FileKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.digest()))
    }

    /// The state of this file version, if any.
    pub fn load(&self, key: &FileKey) -> Result<Option<UploadState>> {
        let state: Option<UploadState> = read_json(&self.file(key))?;
        Ok(
            state
                .filter(|s| s.path == key.path && s.size == key.size && s.mtime_ns == key.mtime_ns),
        )
    }

    pub fn save(&self, key: &FileKey, state: &UploadState) -> Result<()> {
        let json = serde_json::to_vec_pretty(state).expect("a state serializes");
        write_private(&self.file(key), &json)
    }

    pub fn remove(&self, key: &FileKey) -> Result<()> {
        remove_if_present(&self.file(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TestDir;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, SystemTime};

    fn state_for(key: &FileKey) -> UploadState {
        UploadState {
            api: "http://127.0.0.1:3000".into(),
            destination: "account".into(),
            target: Target::File("0193".into()),
            method: Method::Multipart,
            part_size: Some(8 << 20),
            part_count: Some(25),
            name: "big.bin".into(),
            path: key.path.clone(),
            size: key.size,
            mtime_ns: key.mtime_ns,
        }
    }

    #[test]
    fn a_state_resumes_the_same_file_version_only() {
        let tmp = TestDir::new("resume");
        let config = ConfigDir::from_vars(|k| {
            (k == "DROPGATE_CONFIG_DIR").then(|| tmp.path().join("config").into())
        })
        .unwrap();
        let store = ResumeStore::new(&config);
        let file = tmp.path().join("big.bin");
        std::fs::write(&file, b"0123456789").unwrap();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(t0)
            .unwrap();

        let key = FileKey::of(&file).unwrap();
        assert_eq!(key.size, 10);
        assert_eq!(key.mtime_ns, 1_700_000_000 * 1_000_000_000);
        assert_eq!(store.load(&key).unwrap(), None);
        store.save(&key, &state_for(&key)).unwrap();
        let path = store.file(&key);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The same file through another spelling of its path: the same state.
        let other_spelling = tmp.path().join(".").join("big.bin");
        assert_eq!(FileKey::of(&other_spelling).unwrap(), key);
        assert_eq!(store.load(&key).unwrap(), Some(state_for(&key)));

        // Touched: another mtime, another key, no state.
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(t0 + Duration::from_secs(1)).unwrap();
        let touched = FileKey::of(&file).unwrap();
        assert_ne!(touched.digest(), key.digest());
        assert_eq!(store.load(&touched).unwrap(), None);

        // Same mtime, another size: no state either.
        std::fs::write(&file, b"01234567890").unwrap();
        f.set_modified(t0).unwrap();
        let grown = FileKey::of(&file).unwrap();
        assert_eq!(grown.mtime_ns, key.mtime_ns);
        assert_eq!(store.load(&grown).unwrap(), None);

        // A state whose recorded key disagrees with its name is not trusted.
        let mut wrong = state_for(&key);
        wrong.size = 11;
        store.save(&key, &wrong).unwrap();
        assert_eq!(store.load(&key).unwrap(), None);

        // A file that no longer parses is as good as none; removing twice is fine.
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
        store.remove(&key).unwrap();
        store.remove(&key).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn the_key_digest_hides_the_path() {
        let k = FileKey {
            path: "/home/ada/secret-plans.pdf".into(),
            size: 1,
            mtime_ns: 2,
        };
        let d = k.digest();
        assert_eq!(d.len(), 64);
        assert!(!d.contains("secret"));
        let other = FileKey {
            size: 2,
            ..k.clone()
        };
        assert_ne!(other.digest(), d);
    }

    #[test]
    fn a_directory_is_not_a_file_to_upload() {
        let tmp = TestDir::new("resume-dir");
        assert!(FileKey::of(tmp.path()).is_err());
    }
}
