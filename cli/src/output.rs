//! What the user reads: human text or one JSON document on stdout (`--json`), errors as one
//! sentence on stderr, and the exit codes.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::CliError;

/// The exit codes (docs/CLI.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Error = 1,
    /// clap's own code for a bad command line; also a missing value it cannot prompt for.
    Usage = 2,
    /// A file was rejected (malware found included) or expired.
    Rejected = 3,
    /// A file is held for review: the scanner could not judge it, and an operator decides.
    Held = 4,
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

impl Exit {
    pub fn of(e: &CliError) -> Exit {
        match e {
            CliError::Usage(_) => Exit::Usage,
            CliError::Interrupted => Exit::Interrupted,
            _ => Exit::Error,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    /// `--json`'s document goes to stderr: stdout carries a file's bytes.
    pub json_on_stderr: bool,
}

impl Output {
    pub fn new(json: bool, json_on_stderr: bool) -> Self {
        Self {
            json,
            json_on_stderr,
        }
    }

    /// A line of human output (nothing with `--json`).
    pub fn say(&self, text: &str) {
        if !self.json {
            stdout_line(text);
        }
    }

    /// The JSON document (only with `--json`).
    pub fn json<T: Serialize>(&self, value: &T) {
        if self.json {
            self.json_line(&serde_json::to_string(value).expect("output serializes"));
        }
    }

    /// Reports a failure of the whole command: the sentence on stderr, and with `--json` the
    /// error object on stdout too.
    pub fn fail(&self, e: &CliError, sentence: &str) -> Exit {
        eprintln!("error: {sentence}");
        if self.json {
            self.json_line(&error_json(e, sentence).to_string());
        }
        Exit::of(e)
    }

    fn json_line(&self, text: &str) {
        if self.json_on_stderr {
            eprintln!("{text}");
        } else {
            stdout_line(text);
        }
    }
}

/// `{"error": {"code", "message", ...figures}}`, as the API shapes its own.
pub fn error_json(e: &CliError, sentence: &str) -> Value {
    let mut error = json!({ "code": e.code(), "message": sentence });
    if let (Some(extra), Value::Object(obj)) = (e.extra(), &mut error) {
        for (k, v) in extra {
            obj.entry(k.clone()).or_insert(v.clone());
        }
    }
    json!({ "error": error })
}

/// stdout may be a closed pipe (`dropgate ls | head -1`): not worth a panic.
fn stdout_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Words from the server (a scanner's threat names) made safe for a terminal: no control
/// characters, so nothing can move the cursor or recolour the screen.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_but_do_not_pad_the_last_column() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["a".into(), "x".into()],
                vec!["long-id".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID       NAME\na        x\nlong-id  y");
    }

    #[test]
    fn json_errors_carry_the_figures() {
        let e = CliError::Api {
            status: 413,
            code: "file_too_large".into(),
            message: "m".into(),
            extra: json!({"size": 5, "max_file_bytes": 4})
                .as_object()
                .cloned()
                .unwrap(),
        }
        .for_file("a.bin");
        let v = error_json(&e, &e.to_string());
        assert_eq!(v["error"]["code"], "file_too_large");
        assert_eq!(v["error"]["max_file_bytes"], 4);
        assert_eq!(
            v["error"]["message"],
            "a.bin: File too large: 5 B where at most 4 B is allowed."
        );
        assert_eq!(Exit::of(&e), Exit::Error);
        assert_eq!(Exit::of(&CliError::Interrupted) as u8, 130);
    }
}
