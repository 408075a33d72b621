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

/// A size as people write it: `20GiB`, `1.5 TiB`, `500MB`, `1048576` (bytes). Binary units
/// (KiB ... PiB) are powers of 1024, decimal ones (kB, MB, GB, TB, PB) of 1000; a fraction is
/// rounded down to a whole byte.
pub fn parse_size(raw: &str) -> Result<u64, String> {
    let s = raw.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = (&s[..split], s[split..].trim());
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "pib" => 1 << 50,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "pb" => 1_000_000_000_000_000,
        _ => {
            return Err(format!(
                "unknown unit in {raw:?} (B, KiB, MiB, GiB, TiB, PiB, kB, MB, GB, TB, PB)"
            ));
        }
    };
    let bad = || format!("not a size: {raw:?} (e.g. 20GiB)");
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    // Exact for whole numbers below 2^53 (any size a person types).
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::{bytes, parse_size};

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(parse_size("20GiB"), Ok(20 << 30));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size(" 2 tib "), Ok(2 << 40));
        assert!(parse_size("20 parsecs").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("-1GiB").is_err());
        assert!(parse_size("1.2.3MiB").is_err());
    }

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
