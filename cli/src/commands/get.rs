//! `get`: a file's bytes through its presigned download URL, streamed to disk.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::api::cause;
use crate::args::GetArgs;
use crate::commands::Ctx;
use crate::endpoints::Target;
use crate::error::{CliError, Result};
use crate::output::Exit;
use crate::progress::Progress;
use crate::storage::STALL;
use crate::units::bytes;

pub async fn get(ctx: &Ctx, args: GetArgs) -> Result<Exit> {
    let api = ctx.logged_in()?;
    let Some(file) = api.status(&Target::File(args.id.clone())).await? else {
        return Err(CliError::NoSuch {
            what: format!("file with id {}", args.id),
        });
    };
    // Said before anything about the local file: no download is possible yet.
    if file.status != "accepted" {
        return Err(CliError::Api {
            status: 409,
            code: "not_ready".into(),
            message: format!("the file is {}", file.status),
            extra: serde_json::Map::from_iter([("status".to_owned(), json!(file.status))]),
        }
        .for_file(&crate::output::printable(&file.name)));
    }
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let name = safe_name(&file.name, &args.id);
    let dest = match args.output.clone() {
        // A directory: the file's name inside it.
        Some(dir) if dir.is_dir() => dir.join(&name),
        Some(path) => path,
        None => PathBuf::from(&name),
    };
    if !to_stdout && !args.force && dest.symlink_metadata().is_ok() {
        return Err(CliError::Exists {
            path: dest.display().to_string(),
        });
    }
    let link = api.download_url(&args.id).await?;
    let resp = api
        .http()
        .get(&link.url)
        .send()
        .await
        .map_err(|e| CliError::StorageUnreachable { cause: cause(&e) })?;
    if !resp.status().is_success() {
        return Err(CliError::Storage {
            status: resp.status().as_u16(),
        });
    }
    let progress = Progress::for_stderr();
    let bar = progress.file(&file.name, file.size);
    let mut sink = Sink::open(&dest, to_stdout).await?;
    let mut body = resp.bytes_stream();
    let mut written = 0u64;
    loop {
        let chunk = match tokio::time::timeout(STALL, body.next()).await {
            Err(_) => {
                return Err(CliError::Stalled {
                    secs: STALL.as_secs(),
                });
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(CliError::StorageUnreachable { cause: cause(&e) }),
            Ok(Some(Ok(chunk))) => chunk,
        };
        sink.write(&chunk).await?;
        written += chunk.len() as u64;
        bar.add(chunk.len() as u64);
    }
    if written != file.size {
        bar.abandon();
        return Err(CliError::Incomplete {
            name: file.name.clone(),
            message: format!(
                "the download ended after {} of {}",
                bytes(written),
                bytes(file.size)
            ),
        });
    }
    sink.finish(&dest, args.force).await?;
    bar.finish("saved");
    let shown = if to_stdout {
        "-".to_owned()
    } else {
        dest.display().to_string()
    };
    if to_stdout {
        progress.line(&format!("{}: downloaded ({})", file.name, bytes(written)));
    } else {
        progress.suspend(|| ctx.out.say(&format!("Saved {shown} ({}).", bytes(written))));
    }
    ctx.out
        .json(&json!({ "file": file, "path": shown, "bytes": written }));
    Ok(Exit::Ok)
}

/// A stored name as a plain file name: its last path segment, no control characters, never
/// `.`, `..` or empty (then one made of the id).
pub fn safe_name(name: &str, id: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        format!("dropgate-{}", id.replace(['/', '\\', '.'], "_"))
    } else {
        cleaned.to_owned()
    }
}

/// Where the bytes go: stdout, or a temporary file beside the destination renamed into place
/// once complete (an interrupted download never leaves a truncated file under the real name).
enum Sink {
    Stdout(tokio::io::Stdout),
    File {
        file: tokio::fs::File,
        tmp: TempPath,
    },
}

impl Sink {
    async fn open(dest: &Path, to_stdout: bool) -> Result<Sink> {
        if to_stdout {
            return Ok(Sink::Stdout(tokio::io::stdout()));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = dest.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{base}.{}.dropgate-part", std::process::id()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(|e| CliError::io(&tmp, e))?;
        Ok(Sink::File {
            file,
            tmp: TempPath(Some(tmp)),
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(out) => out
                .write_all(bytes)
                .await
                .map_err(|e| CliError::io("standard output", e)),
            Sink::File { file, tmp } => file
                .write_all(bytes)
                .await
                .map_err(|e| CliError::io(tmp.path(), e)),
        }
    }

    async fn finish(self, dest: &Path, force: bool) -> Result<()> {
        match self {
            Sink::Stdout(mut out) => out
                .flush()
                .await
                .map_err(|e| CliError::io("standard output", e)),
            Sink::File { mut file, mut tmp } => {
                let path = tmp.path().to_path_buf();
                file.flush().await.map_err(|e| CliError::io(&path, e))?;
                file.sync_all().await.map_err(|e| CliError::io(&path, e))?;
                drop(file);
                // Checked again: the destination may have appeared during the download.
                if !force && dest.symlink_metadata().is_ok() {
                    return Err(CliError::Exists {
                        path: dest.display().to_string(),
                    });
                }
                std::fs::rename(&path, dest).map_err(|e| CliError::io(dest, e))?;
                tmp.0 = None;
                Ok(())
            }
        }
    }
}

/// Removes the temporary file unless it was renamed into place.
struct TempPath(Option<PathBuf>);

impl TempPath {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn stored_names_become_plain_file_names() {
        assert_eq!(safe_name("report.pdf", "f1"), "report.pdf");
        assert_eq!(safe_name("../../etc/passwd", "f1"), "passwd");
        assert_eq!(safe_name("C:\\Users\\x\\a.txt", "f1"), "a.txt");
        assert_eq!(safe_name("a\u{7}b\n.txt", "f1"), "ab.txt");
        assert_eq!(safe_name("..", "f1"), "dropgate-f1");
        assert_eq!(safe_name("dir/", "f/1"), "dropgate-f_1");
        assert_eq!(safe_name(" ", "f1"), "dropgate-f1");
    }
}
