//! JSON logs through `tracing`, one object per line (Lambda's `AWS_LAMBDA_LOG_FORMAT`
//! honoured: text only when it says `Text`). Level from `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else `info` (see `filter_directive`).

use tracing_subscriber::EnvFilter;

/// The filter, as the Lambda runtime chooses it: `AWS_LAMBDA_LOG_LEVEL` (the function's
/// advanced logging setting; `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`, any case;
/// `FATAL` is `error`, tracing has nothing above it) over `RUST_LOG` (any `EnvFilter`
/// directive); `info` when neither says anything usable. A level that is not one of the six is
/// ignored.
fn filter_directive(lambda_log_level: Option<&str>, rust_log: Option<&str>) -> String {
    let lambda = lambda_log_level.and_then(|l| match l.trim().to_ascii_uppercase().as_str() {
        "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" => Some("warn"),
        "ERROR" | "FATAL" => Some("error"),
        _ => None,
    });
    match (lambda, rust_log.map(str::trim)) {
        (Some(level), _) => level.to_owned(),
        (None, Some(directive)) if !directive.is_empty() => directive.to_owned(),
        _ => "info".to_owned(),
    }
}

pub fn init() {
    let directive = filter_directive(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let filter = EnvFilter::try_new(directive).unwrap_or_else(|_| EnvFilter::new("info"));
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (tests, the local stack) keeps the first subscriber: `try_init` fails only
    // when one is already set, which is fine.
    let _ = if text {
        builder.without_time().try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::filter_directive;

    #[test]
    fn the_lambda_level_wins_over_rust_log() {
        assert_eq!(filter_directive(Some("DEBUG"), Some("warn")), "debug");
        assert_eq!(
            filter_directive(Some("error"), Some("dropgate=trace")),
            "error"
        );
    }

    #[test]
    fn every_lambda_level_maps_to_a_tracing_level_in_any_case() {
        for (given, want) in [
            ("TRACE", "trace"),
            ("debug", "debug"),
            ("Info", "info"),
            ("WARN", "warn"),
            ("ERROR", "error"),
            ("FATAL", "error"),
            ("fatal", "error"),
            (" warn ", "warn"),
        ] {
            assert_eq!(filter_directive(Some(given), None), want, "{given:?}");
        }
    }

    #[test]
    fn rust_log_when_the_lambda_level_is_absent_or_unusable() {
        assert_eq!(
            filter_directive(None, Some("dropgate=debug,info")),
            "dropgate=debug,info"
        );
        assert_eq!(filter_directive(Some(""), Some("warn")), "warn");
        assert_eq!(filter_directive(Some("VERBOSE"), Some("warn")), "warn");
    }

    #[test]
    fn info_when_neither_says_anything() {
        assert_eq!(filter_directive(None, None), "info");
        assert_eq!(filter_directive(None, Some("  ")), "info");
        assert_eq!(filter_directive(Some("loud"), None), "info");
    }
}
