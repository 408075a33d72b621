//! Type detection from an object's first bytes: magic numbers through `infer`, then plain text
//! (valid UTF-8 without NUL bytes) when no magic number matches.

/// At most this many bytes of an object are ever read to decide on it.
pub const SAMPLE_BYTES: u64 = 8 * 1024;

/// Detects the type of an object from `sample`, its first bytes; `truncated` says whether the
/// object goes on past the sample (then a multi-byte character cut at the end is not an error).
pub fn detect(sample: &[u8], truncated: bool) -> Option<String> {
    if let Some(kind) = infer::get(sample) {
        return Some(kind.mime_type().to_owned());
    }
    if !sample.is_empty() && looks_like_text(sample, truncated) {
        return Some("text/plain".to_owned());
    }
    None
}

fn looks_like_text(sample: &[u8], truncated: bool) -> bool {
    if sample.contains(&0) {
        return false;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        // `error_len() == None`: the input ended inside a character, which the cut explains.
        Err(e) => truncated && e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(detect(png, false).as_deref(), Some("image/png"));
        assert_eq!(
            detect(b"%PDF-1.7\n", false).as_deref(),
            Some("application/pdf")
        );
        // `infer` wants a whole ELF header (64 bytes) before it calls it one.
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        elf.resize(64, 0);
        assert_eq!(
            detect(&elf, false).as_deref(),
            Some("application/x-executable")
        );
        assert_eq!(
            detect(b"PK\x03\x04rest", false).as_deref(),
            Some("application/zip")
        );
    }

    #[test]
    fn text_is_utf8_without_nul() {
        assert_eq!(
            detect("a,b\n1,2\né".as_bytes(), false).as_deref(),
            Some("text/plain")
        );
        assert_eq!(detect(b"abc\0def", false), None);
        assert_eq!(detect(b"\xff\xfe\xfd", false), None);
        // A character cut at the end of the sample is fine only when the object goes on.
        let cut = &"é".as_bytes()[..1];
        let sample = [b"abc".as_slice(), cut].concat();
        assert_eq!(detect(&sample, true).as_deref(), Some("text/plain"));
        assert_eq!(detect(&sample, false), None);
        assert_eq!(detect(b"", false), None);
    }
}
