//! The note an uploader may leave the owner with a drop: short plain text, shown only to the
//! owner (their file views and their mail), always as text.
//!
//! Unlike a name, a note may span lines: a newline is kept (CRLF and lone CR become LF), every
//! other control character is refused, as are line and paragraph separators and the
//! bidirectional embeddings, overrides and isolates, which could make the owner's mail read in
//! an order the uploader chose. Refused, not stripped: the owner reads what the uploader wrote
//! or nothing. Emoji joiners and variation selectors are kept: a note is prose, not a name.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::CoreError;

/// The longest note, in characters (Unicode scalar values) after trimming.
pub const MAX_NOTE_CHARS: usize = 500;

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::invalid("invalid_note", message)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

fn refused(c: char) -> bool {
    if c == '\n' {
        return false;
    }
    is_bidi_control(c)
        || matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::Surrogate
        )
}

/// The note as stored: line ends made LF, both ends trimmed; `None` when nothing is left.
pub fn clean_note(raw: &str) -> Result<Option<String>, CoreError> {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let note = unified.trim();
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().any(refused) {
        return Err(invalid(
            "the note must not contain control characters other than newlines",
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(Some(note.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> &'static str {
        match clean_note(raw) {
            Err(CoreError::Invalid { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn blank_notes_are_no_note() {
        assert_eq!(clean_note("").unwrap(), None);
        assert_eq!(clean_note(" \n\t \r\n").unwrap(), None);
    }

    #[test]
    fn notes_are_trimmed_and_keep_their_lines() {
        assert_eq!(
            clean_note("  Hi,\r\nthe invoice.\rThanks  \n")
                .unwrap()
                .as_deref(),
            Some("Hi,\nthe invoice.\nThanks")
        );
        assert_eq!(
            clean_note("<script>alert(1)</script> 👨‍👩‍👧 ❤️")
                .unwrap()
                .as_deref(),
            Some("<script>alert(1)</script> 👨‍👩‍👧 ❤️")
        );
    }

    #[test]
    fn the_limit_counts_characters_after_trimming() {
        let full = "é".repeat(MAX_NOTE_CHARS);
        assert_eq!(
            clean_note(&format!("  {full}\n")).unwrap(),
            Some(full.clone())
        );
        assert_eq!(code(&format!("{full}x")), "invalid_note");
    }

    #[test]
    fn controls_other_than_newline_are_refused() {
        for bad in [
            "a\tb",
            "a\u{0}b",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{202e}gpj.exe",
            "a\u{2066}b",
        ] {
            assert_eq!(code(bad), "invalid_note", "{bad:?}");
        }
    }
}
