//! Results written into docs/BENCHMARKS.md: prose wrapped as the other docs are, and one
//! `## ` section replaced in place (or appended), the rest of the file left as it is.

use std::path::Path;

/// What a new results file starts with.
const NEW_FILE: &str = "# Benchmarks\n\nBenchmark commands live in `bench/` (not tests: they \
                        report, they do not assert).\n";

/// Prose wrapped at 100 columns, as the other docs are.
pub fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// Writes `section` (which starts with its `heading` line) into the markdown file at `path`:
/// replacing the section of that heading, up to the next `## ` heading, or appended.
pub fn write_section(path: &Path, heading: &str, section: &str) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_FILE.to_owned(),
        Err(e) => return Err(e),
    };
    std::fs::write(path, replace_section(&old, heading, section))
}

/// `old` with the section of `heading` replaced by `section`, or `section` appended.
fn replace_section(old: &str, heading: &str, section: &str) -> String {
    match old.find(&format!("{heading}\n")) {
        Some(start) => {
            let after = start + heading.len();
            let end = old[after..]
                .find("\n## ")
                .map_or(old.len(), |i| after + i + 1);
            let tail = &old[end..];
            let sep = if tail.is_empty() { "" } else { "\n" };
            format!("{}{section}{sep}{tail}", &old[..start])
        }
        None => format!("{}\n\n{section}", old.trim_end_matches('\n')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_up_to_the_next_heading() {
        let old = "# B\n\n## One\n\nold\n\n## Two\n\nkept\n";
        let new = replace_section(old, "## One", "## One\n\nnew\n");
        assert_eq!(new, "# B\n\n## One\n\nnew\n\n## Two\n\nkept\n");
    }

    #[test]
    fn the_last_section_is_replaced_to_the_end_and_a_new_one_appended() {
        let old = "# B\n\n## One\n\nold\n";
        assert_eq!(
            replace_section(old, "## One", "## One\n\nnew\n"),
            "# B\n\n## One\n\nnew\n"
        );
        assert_eq!(
            replace_section(old, "## Two", "## Two\n\nx\n"),
            "# B\n\n## One\n\nold\n\n## Two\n\nx\n"
        );
    }

    #[test]
    fn prose_wraps_at_100_columns() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text);
        assert!(wrapped.lines().all(|l| l.len() <= 100));
        assert_eq!(wrapped.split_whitespace().count(), 40);
    }
}
