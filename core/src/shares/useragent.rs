//! The family of a user agent, for the download log: enough to tell a browser from a script,
//! nothing that fingerprints a person.

/// `Edge`, `Chrome`, `Firefox`, `Safari`, `curl`, `Wget`, `Python`, `Go`, `bot`, or `other`.
pub fn family(ua: &str) -> &'static str {
    let l = ua.to_ascii_lowercase();
    let has = |s: &str| l.contains(s);
    if has("bot") || has("crawler") || has("spider") || has("preview") || has("facebookexternalhit")
    {
        "bot"
    } else if l.starts_with("curl/") {
        "curl"
    } else if l.starts_with("wget/") {
        "Wget"
    } else if has("python") {
        "Python"
    } else if l.starts_with("go-http-client") {
        "Go"
    } else if has("edg/") {
        "Edge"
    } else if has("firefox/") {
        "Firefox"
    } else if has("chrome/") || has("chromium/") || has("crios/") {
        "Chrome"
    } else if has("safari/") {
        "Safari"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        for (ua, want) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
                "Chrome",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120 Safari/537.36 Edg/120.0",
                "Edge",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari",
            ),
            ("curl/8.5.0", "curl"),
            ("Wget/1.21", "Wget"),
            ("python-requests/2.31", "Python"),
            (
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                "bot",
            ),
            ("facebookexternalhit/1.1", "bot"),
            ("", "other"),
        ] {
            assert_eq!(family(ua), want, "{ua}");
        }
    }
}
