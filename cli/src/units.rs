//! Sizes for people: binary units (KiB, MiB, ...), as `ls -h` and the progress lines use.

/// `16 B`, `1.5 KiB`, `24.0 MiB`, `5.0 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    // 1023.96 KiB would print as "1024.0 KiB"; move up a unit once rounding reaches 1024.
    while value >= 1023.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn binary_units_one_decimal() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(24 * 1024 * 1024), "24.0 MiB");
        assert_eq!(bytes(200 * 1024 * 1024), "200.0 MiB");
        assert_eq!(bytes(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(bytes(5 << 40), "5.0 TiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    /// The web client prints sizes with the same table (web/assets/format.js): one convention
    /// wherever a person reads a size.
    #[test]
    fn the_web_client_prints_the_same_sizes() {
        let table: Vec<(u64, String)> =
            serde_json::from_str(include_str!("../../web/tests/size-units.json"))
                .expect("size-units.json");
        assert!(table.len() > 5);
        for (n, words) in table {
            assert_eq!(bytes(n), words, "{n}");
        }
    }
}
