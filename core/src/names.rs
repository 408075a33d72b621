//! Original file names: validated for storage and display, and rendered safely into a
//! `Content-Disposition` header (RFC 6266 with an RFC 5987 `filename*`).

use crate::CoreError;

pub const MAX_NAME_BYTES: usize = 255;

/// Keeps the last path segment (either separator), then checks 1..=255 bytes of UTF-8 without
/// control characters. `.` and `..` are refused: they are path syntax, not names.
pub fn clean_name(raw: &str) -> Result<String, CoreError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    if last.is_empty() || last == "." || last == ".." {
        return Err(CoreError::invalid(
            "invalid_name",
            "name must contain a file name after any path separators",
        ));
    }
    if last.len() > MAX_NAME_BYTES {
        return Err(CoreError::invalid(
            "invalid_name",
            format!("name is longer than {MAX_NAME_BYTES} bytes"),
        ));
    }
    if last.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "invalid_name",
            "name must not contain control characters",
        ));
    }
    Ok(last.to_owned())
}

/// `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>`.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    // RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded.
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_stripped_to_the_last_segment() {
        assert_eq!(clean_name("a/b/report.pdf").unwrap(), "report.pdf");
        assert_eq!(clean_name("C:\\x\\..\\evil.exe").unwrap(), "evil.exe");
        assert_eq!(
            clean_name("  notes v2 + final%.txt ").unwrap(),
            "notes v2 + final%.txt"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "",
            "   ",
            "dir/",
            "..",
            "a/..",
            "tab\tname",
            "nl\nname",
            "\u{7f}",
        ] {
            assert_eq!(
                clean_name(bad).unwrap_err().code(),
                "invalid_name",
                "{bad:?}"
            );
        }
        assert!(clean_name(&"é".repeat(128)).is_err()); // 256 bytes
        assert!(clean_name(&"é".repeat(127)).is_ok()); // 254 bytes
    }

    #[test]
    fn content_disposition_is_header_safe() {
        let cd = content_disposition("rapport \"final\" ✓ 100%.pdf");
        assert_eq!(
            cd,
            "attachment; filename=\"rapport _final_ _ 100_.pdf\"; \
             filename*=UTF-8''rapport%20%22final%22%20%E2%9C%93%20100%25.pdf"
        );
        assert!(cd.is_ascii());
    }
}
