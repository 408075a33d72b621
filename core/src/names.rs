//! Names people give things (file names, link labels, uploader names): validated for storage
//! and display, quoted safely into mail, and rendered into a `Content-Disposition` header
//! (RFC 6266 with an RFC 5987 `filename*`).
//!
//! Every stored name refuses control characters (Cc), format characters (Cf: the bidirectional
//! overrides and isolates U+202A-202E and U+2066-2069, U+200E/F marks, zero-width characters,
//! the BOM, ...) and line or paragraph separators (Zl, Zp): `invoice\u{202e}gpj.exe` must never
//! display as `invoiceexe.jpg`. Refused, not stripped: a silently changed name is a name the
//! sender did not choose.
//!
//! They also refuse what renders as nothing though it is not a format character: Unicode's
//! default-ignorable code points and the filler letters ([`INVISIBLE`]: Hangul fillers, the
//! combining grapheme joiner, variation selectors, the braille blank, ...), and stacks of more
//! than [`MAX_COMBINING_MARKS`] combining marks on one character ("Zalgo" text that paints over
//! its neighbours). Runs of spaces (any Unicode space separator) are folded into one U+0020 and
//! the ends trimmed: that changes nothing a reader can see, and it keeps `a   b.pdf` and
//! `a\u{3000}b.pdf` from posing as `a b.pdf` in a list.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::CoreError;

pub const MAX_NAME_BYTES: usize = 255;
pub const MAX_LABEL_BYTES: usize = 200;
pub const MAX_PERSON_NAME_BYTES: usize = 200;
/// The most combining marks one character may carry (scripts that need marks use 1 to 3).
pub const MAX_COMBINING_MARKS: usize = 4;

/// Code points that display as nothing yet are neither control nor format characters, or are
/// listed for clarity though their category already refuses them: Unicode's
/// Default_Ignorable_Code_Point property (DerivedCoreProperties.txt) and the blank fillers.
/// Inclusive ranges.
pub const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),   // soft hyphen
    (0x034F, 0x034F),   // combining grapheme joiner
    (0x061C, 0x061C),   // Arabic letter mark
    (0x115F, 0x1160),   // Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),   // Khmer inherent vowels
    (0x180B, 0x180F),   // Mongolian free variation selectors and vowel separator
    (0x200B, 0x200F),   // zero-width space, joiners, direction marks
    (0x202A, 0x202E),   // bidirectional embeddings and overrides
    (0x2060, 0x206F),   // word joiner, invisible operators, isolates, deprecated formats
    (0x2800, 0x2800),   // braille pattern blank
    (0x3164, 0x3164),   // Hangul filler
    (0xFE00, 0xFE0F),   // variation selectors (FE0E and FE0F allowed after a symbol, below)
    (0xFEFF, 0xFEFF),   // zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),   // halfwidth Hangul filler
    (0xFFF0, 0xFFF8),   // unassigned specials
    (0x1BCA0, 0x1BCA3), // shorthand format controls
    (0x1D173, 0x1D17A), // musical symbol formats
    (0xE0000, 0xE0FFF), // tags and variation selectors supplement
];

/// Text and emoji presentation selectors: the only variation selectors a name keeps, and only
/// right after a symbol (`❤️`), where phones put them.
const PRESENTATION_SELECTORS: [char; 2] = ['\u{FE0E}', '\u{FE0F}'];

fn is_invisible(c: char) -> bool {
    let c = c as u32;
    INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

fn is_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

fn is_symbol(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::OtherSymbol | GeneralCategory::MathSymbol
    ) || c.is_ascii_digit()
        || c == '#'
        || c == '*'
}

fn is_space(c: char) -> bool {
    c.general_category() == GeneralCategory::SpaceSeparator
}

/// Folds every run of space separators into one U+0020 and trims both ends.
pub fn collapse_spaces(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.trim().chars() {
        if is_space(c) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

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
    let mut prev: Option<char> = None;
    let mut marks = 0;
    for c in value.chars() {
        let selector_after_symbol =
            PRESENTATION_SELECTORS.contains(&c) && prev.is_some_and(is_symbol);
        if !is_displayable(c) || (is_invisible(c) && !selector_after_symbol) {
            return Err(CoreError::invalid(
                "invalid_name",
                format!("{field} must not contain control or invisible characters"),
            ));
        }
        marks = if is_mark(c) { marks + 1 } else { 0 };
        if marks > MAX_COMBINING_MARKS {
            return Err(CoreError::invalid(
                "invalid_name",
                format!(
                    "{field} must not stack more than {MAX_COMBINING_MARKS} combining marks \
                     on one character"
                ),
            ));
        }
        prev = Some(c);
    }
    Ok(())
}

/// A free-text name (a link's label, an uploader's name): spaces folded and trimmed,
/// 1..=`max` bytes, only visible characters. Errors are `invalid_name` naming `field`.
pub fn clean_text(field: &str, raw: &str, max: usize) -> Result<String, CoreError> {
    let v = collapse_spaces(raw);
    let v = v.as_str();
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
    let last = collapse_spaces(raw.rsplit(['/', '\\']).next().unwrap_or(raw));
    let last = last.as_str();
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

    /// `bad` is `invalid_name` both as a file name and as a label.
    fn refused_as_name_and_label(bad: &str) {
        assert_eq!(
            clean_name(bad).unwrap_err().code(),
            "invalid_name",
            "{bad:?}"
        );
        let label = clean_text("label", bad, MAX_LABEL_BYTES);
        assert_eq!(label.unwrap_err().code(), "invalid_name", "{bad:?}");
    }

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
            refused_as_name_and_label(bad);
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
    fn invisible_fillers_and_ignorables_are_refused() {
        for bad in [
            "a\u{115f}b.pdf",
            "a\u{1160}b.pdf",
            "\u{3164}.pdf",
            "a\u{ffa0}b",
            "\u{2800}report.pdf",
            "a\u{34f}b",
            "a\u{fe00}b",
            "e\u{fe0f}.pdf", // after a letter, a presentation selector makes no emoji
            "a\u{e0100}b",
            "a\u{180e}b",
            "a\u{61c}b",
        ] {
            refused_as_name_and_label(bad);
        }
        // What phones write stays welcome: an emoji with its presentation selector.
        assert!(clean_name("\u{2764}\u{fe0f} party.jpg").is_ok());
        assert!(clean_name("1\u{fe0f}\u{20e3} first.png").is_ok());
    }

    #[test]
    fn stacked_combining_marks_are_refused_past_four() {
        let four = format!("e{}", "\u{301}".repeat(4));
        let five = format!("e{}", "\u{301}".repeat(5));
        assert!(clean_name(&format!("{four}.txt")).is_ok());
        assert_eq!(
            clean_name(&format!("{five}.txt")).unwrap_err().code(),
            "invalid_name"
        );
        assert!(clean_text("label", &five, MAX_LABEL_BYTES).is_err());
        // Scripts built on marks keep theirs: Devanagari, Vietnamese.
        assert!(clean_name("हिन्दी.pdf").is_ok());
        assert!(clean_name("Tiếng Việt.docx").is_ok());
    }

    #[test]
    fn runs_of_spaces_fold_into_one() {
        assert_eq!(clean_name("a   b.pdf").unwrap(), "a b.pdf");
        assert_eq!(clean_name("a\u{3000}\u{a0}b.pdf").unwrap(), "a b.pdf");
        assert_eq!(clean_name("\u{2003}x.pdf\u{202f}").unwrap(), "x.pdf");
        assert_eq!(
            clean_text("label", " Tax\u{2002}\u{2002}2026 ", MAX_LABEL_BYTES).unwrap(),
            "Tax 2026"
        );
        assert!(clean_text("label", "\u{3000}\u{2003}", MAX_LABEL_BYTES).is_err());
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
