//! What a display name may be: shown to strangers beside a file, so only visible text that
//! reads in the order it was written.

use crate::CoreError;
use crate::names::{collapse_spaces, is_displayable};

/// The longest display name, in characters (Unicode scalar values) after trimming.
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::invalid("invalid_display_name", message)
}

/// Bidirectional embeddings, overrides and isolates (and the Arabic letter mark): they would
/// let a name reorder the text around it on the share's page.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{200E}' | '\u{200F}')
}

/// The name as stored: spaces folded, both ends trimmed, 1 to [`MAX_DISPLAY_NAME_CHARS`]
/// characters, none of them control, format (invisible) or direction-changing. Refused, not
/// stripped: a recipient reads what the owner typed or nothing.
pub fn clean_display_name(raw: &str) -> Result<String, CoreError> {
    if raw
        .chars()
        .any(|c| is_bidi_control(c) || (!is_displayable(c) && c != ' '))
    {
        return Err(invalid(
            "display_name must not contain control, invisible or direction-changing characters",
        ));
    }
    let name = collapse_spaces(raw);
    let n = name.chars().count();
    if n == 0 {
        return Err(invalid("display_name must not be empty (null removes it)"));
    }
    if n > MAX_DISPLAY_NAME_CHARS {
        return Err(invalid(format!(
            "display_name is longer than {MAX_DISPLAY_NAME_CHARS} characters"
        )));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_its_spaces_folded() {
        assert_eq!(
            clean_display_name("  Ada   Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(clean_display_name("Zoë 🦊").unwrap(), "Zoë 🦊");
        assert_eq!(clean_display_name("李小龍").unwrap(), "李小龍");
    }

    #[test]
    fn eighty_characters_at_most_and_one_at_least() {
        let long = "é".repeat(MAX_DISPLAY_NAME_CHARS);
        assert_eq!(clean_display_name(&long).unwrap(), long);
        for bad in ["", "   ", &"é".repeat(MAX_DISPLAY_NAME_CHARS + 1)] {
            assert_eq!(
                clean_display_name(bad).unwrap_err().code(),
                "invalid_display_name",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn control_invisible_and_direction_changing_characters_are_refused() {
        for bad in [
            "Ada\u{0}",
            "Ada\nLovelace",
            "Ada\tL",
            "\u{202E}ecilA",
            "Ada\u{2066}x\u{2069}",
            "Ada\u{200F}",
            "Ada\u{200B}",
            "Ada\u{FEFF}",
            "Ada\u{2028}",
        ] {
            assert_eq!(
                clean_display_name(bad).unwrap_err().code(),
                "invalid_display_name",
                "{bad:?}"
            );
        }
    }
}
