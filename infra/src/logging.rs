//! JSON logs through `tracing`, one object per line (Lambda's `AWS_LAMBDA_LOG_FORMAT`
//! honoured: text only when it says `Text`). Level from `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else `info` (see `filter_directive`).

use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter, as the Lambda runtime chooses it: `AWS_LAMBDA_LOG_LEVEL` (the function's
/// advanced logging setting; `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`, any case;
/// `FATAL` is `error`, tracing has nothing above it) over `RUST_LOG` (comma-separated
/// `target=level` directives and a bare default level, as `Targets` parses them); `info` when
/// neither says anything usable. A level that is not one of the six is ignored.
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

/// A `Targets` filter rather than an `EnvFilter`: the same directives but span and field
/// filters, and no regex engine linked into every function (an `EnvFilter` compiles directives
/// with `regex-automata`: about 130 KB of code and 500 relocations per binary, docs/BENCHMARKS.md).
fn filter(directive: &str) -> Targets {
    directive
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO))
}

pub fn init() {
    let directive = filter_directive(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let filter = filter(&directive);
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (tests, the local stack) keeps the first subscriber: `try_init` fails only
    // when one is already set, which is fine.
    let registry = tracing_subscriber::registry();
    let _ = if text {
        registry
            .with(layer.without_time().with_filter(filter))
            .try_init()
    } else {
        let json = layer
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_filter(filter);
        registry.with(json).try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::{filter, filter_directive};

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
    fn directives_filter_by_target_and_level() {
        use tracing::Level;
        let f = filter("dropgate=warn,info");
        assert!(f.would_enable("dropgate_api", &Level::WARN));
        assert!(!f.would_enable("dropgate_api", &Level::INFO));
        assert!(f.would_enable("hyper", &Level::INFO));
        assert!(!f.would_enable("hyper", &Level::DEBUG));
        let only = filter("error");
        assert!(!only.would_enable("dropgate_api", &Level::WARN));
        // Not a directive Targets reads (a span filter): the default, info.
        let bad = filter("dropgate[upload{id=1}]=trace");
        assert!(bad.would_enable("dropgate_api", &Level::INFO));
        assert!(!bad.would_enable("dropgate_api", &Level::DEBUG));
    }

    #[test]
    fn info_when_neither_says_anything() {
        assert_eq!(filter_directive(None, None), "info");
        assert_eq!(filter_directive(None, Some("  ")), "info");
        assert_eq!(filter_directive(Some("loud"), None), "info");
    }
}
