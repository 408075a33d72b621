//! The content type to declare for a file: from its first bytes (as the server's pipeline
//! judges it, with `infer`), else from its extension, else text when it reads as UTF-8 text.
//! A wrong declaration gets the file rejected (`type_mismatch`), so the bytes come first.

use std::io::Read;
use std::path::Path;

use crate::error::{CliError, Result};

/// As many bytes as the server's pipeline reads.
const HEAD: u64 = 8 * 1024;

pub fn content_type(path: &Path) -> Result<String> {
    let mut head = Vec::with_capacity(HEAD as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(HEAD).read_to_end(&mut head))
        .map_err(|e| CliError::io(path, e))?;
    Ok(from_bytes_and_name(&head, path))
}

pub fn from_bytes_and_name(head: &[u8], path: &Path) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if let Some(guess) = mime_guess::from_path(path).first_raw() {
        return guess.to_owned();
    }
    if looks_like_text(head) {
        return "text/plain".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// UTF-8 with no NUL (the server's rule for text); a character cut at the end of the head is
/// fine.
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(head: &[u8], name: &str) -> String {
        from_bytes_and_name(head, Path::new(name))
    }

    #[test]
    fn bytes_win_over_the_extension() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(t(png, "cat.jpg"), "image/png");
        assert_eq!(t(b"%PDF-1.4\n", "notes.txt"), "application/pdf");
    }

    #[test]
    fn extension_then_text_then_octets() {
        assert_eq!(t(b"a,b\n1,2\n", "table.csv"), "text/csv");
        assert_eq!(t(b"hello\n", "hello.txt"), "text/plain");
        assert_eq!(t("h\u{e9}llo".as_bytes(), "README"), "text/plain");
        // A 3-byte character cut after its first byte by the 8 KiB window.
        assert_eq!(t(b"abc\xe2", "README"), "text/plain");
        assert_eq!(t(b"a\0b", "blob"), "application/octet-stream");
        assert_eq!(t(b"\xff\xfe\xfd", "blob"), "application/octet-stream");
        assert_eq!(t(b"", "empty"), "application/octet-stream");
    }
}
