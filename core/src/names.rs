//! Names people give things (file names, link labels, uploader names): validated for storage
//! and display, quoted safely into mail, and rendered into a `Content-Disposition` header
//! (RFC 6266 with an RFC 5987 `filename*`).
//!
//! Every stored name refuses control characters (Cc), format characters (Cf: the bidirectional
//! overrides and isolates U+202A-202E and U+2066-2069, U+200E/F marks, zero-width characters,
//! the BOM, ...) and line or paragraph separators (Zl, Zp): `invoice\u{202e}gpj.exe` must never
//! display as `invoiceexe.jpg`. Refused, not stripped: a silently changed name is a name the
//! sender did not choose.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::CoreError;

pub const MAX_NAME_BYTES: usize = 255;
pub const MAX_LABEL_BYTES: usize = 200;
pub const MAX_PERSON_NAME_BYTES: usize = 200;

/// Whether `c` may appear in a stored name.
pub fn is_displayable(c: char) -> bool {
    !matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
    )
}

fn check_chars(field: &str, value: &str) -> Result<(), CoreError> {
    if value.chars().all(is_displayable) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "invalid_name",
            format!("{field} must not contain control or invisible formatting characters"),
        ))
    }
}

/// A free-text name (a link's label, an uploader's name): trimmed, 1..=`max` bytes, only
/// displayable characters. Errors are `invalid_name` naming `field`.
pub fn clean_text(field: &str, raw: &str, max: usize) -> Result<String, CoreError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(CoreError::invalid(
            "invalid_name",
            format!("{field} must not be empty"),
        ));
    }
    if v.len() > max {
        return Err(CoreError::invalid(
            "invalid_name",
            format!("{field} is longer than {max} bytes"),
        ));
    }
    check_chars(field, v)?;
    Ok(v.to_owned())
}

/// A name quoted for a mail subject or body: in curly quotes, with anything not displayable
/// (none gets stored, but mail is the last place to be sure) replaced by U+FFFD.
pub fn quote(name: &str) -> String {
    let inner: String = name
        .chars()
        .map(|c| if is_displayable(c) { c } else { '\u{fffd}' })
        .collect();
    format!("\u{201c}{inner}\u{201d}")
}

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
    check_chars("name", last)?;
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
    fn format_characters_are_refused_everywhere() {
        for bad in [
            "invoice\u{202e}gpj.exe",
            "a\u{202a}b",
            "a\u{2066}b",
            "a\u{2069}b",
            "a\u{200e}b",
            "a\u{200f}b",
            "zero\u{200b}width",
            "bom\u{feff}",
            "soft\u{ad}hyphen",
            "line\u{2028}sep",
            "para\u{2029}sep",
            "tag\u{e0041}",
        ] {
            assert_eq!(
                clean_name(bad).unwrap_err().code(),
                "invalid_name",
                "{bad:?}"
            );
            assert_eq!(
                clean_text("label", bad, MAX_LABEL_BYTES)
                    .unwrap_err()
                    .code(),
                "invalid_name",
                "{bad:?}"
            );
        }
        // Scripts that need no invisible controls stay welcome.
        assert!(clean_name("עברית.pdf").is_ok());
        assert!(clean_name("日本語 ✓ 😀.png").is_ok());
        assert_eq!(
            clean_text("label", "  Q3 receipts ", 200).unwrap(),
            "Q3 receipts"
        );
        assert!(clean_text("label", "", 200).is_err());
        assert!(clean_text("label", &"x".repeat(201), 200).is_err());
    }

    #[test]
    fn quoting_keeps_mail_readable() {
        assert_eq!(quote("a\"b"), "\u{201c}a\"b\u{201d}");
        assert_eq!(quote("x\u{202e}y\n"), "\u{201c}x\u{fffd}y\u{fffd}\u{201d}");
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
