//! The SPEC grammar of `--inject-faults` (see the parent module), the rules it sets per
//! service, and the seeded draw that picks a request's fault from their rates.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::services::SERVICES;

/// The longest `latency` a rule may ask for.
pub const MAX_LATENCY_MS: u64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault SPEC: {0}")]
pub struct SpecError(String);

/// One set of rules: every rate and the latency, each unset unless a rule names it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rules {
    pub error500: Option<f64>,
    pub throttle: Option<f64>,
    pub reset: Option<f64>,
    pub reset_after: Option<f64>,
    pub latency_ms: Option<u64>,
}

impl Rules {
    /// These rules, with `all`'s where these leave a kind unset.
    fn over(self, all: Rules) -> Rules {
        Rules {
            error500: self.error500.or(all.error500),
            throttle: self.throttle.or(all.throttle),
            reset: self.reset.or(all.reset),
            reset_after: self.reset_after.or(all.reset_after),
            latency_ms: self.latency_ms.or(all.latency_ms),
        }
    }

    fn failure_rate(&self) -> f64 {
        [self.reset, self.reset_after, self.error500, self.throttle]
            .iter()
            .map(|r| r.unwrap_or(0.0))
            .sum()
    }

    /// The fault (if any) that the draw `r` in `[0, 1)` selects.
    pub fn decide(&self, r: f64) -> Option<Fault> {
        let mut edge = 0.0;
        for (rate, fault) in [
            (self.reset, Fault::Reset),
            (self.reset_after, Fault::ResetAfter),
            (self.error500, Fault::Error500),
            (self.throttle, Fault::Throttle),
        ] {
            edge += rate.unwrap_or(0.0);
            if r < edge {
                return Some(fault);
            }
        }
        None
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.unwrap_or(0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Reset,
    ResetAfter,
    Error500,
    Throttle,
}

/// A parsed `--inject-faults` SPEC.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub seed: Option<u64>,
    /// Rules without a service prefix.
    pub all: Rules,
    /// Rules with one, by service.
    pub services: BTreeMap<String, Rules>,
}

impl Spec {
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        let bad = |why: String| SpecError(why);
        let mut out = Spec::default();
        let rules: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if rules.is_empty() {
            return Err(bad(
                "empty; expected rules like `dynamodb:throttle=0.1,latency=20`".into(),
            ));
        }
        for rule in rules {
            let (target, value) = rule
                .split_once('=')
                .ok_or_else(|| bad(format!("`{rule}`: expected `[service:]kind=value`")))?;
            let (service, kind) = match target.split_once(':') {
                Some((s, k)) => (Some(s.trim()), k.trim()),
                None => (None, target.trim()),
            };
            let value = value.trim();
            if kind == "seed" {
                if service.is_some() {
                    return Err(bad(format!("`{rule}`: `seed` applies to every service")));
                }
                if out.seed.is_some() {
                    return Err(bad(format!("`{rule}`: seed given twice")));
                }
                out.seed = Some(value.parse().map_err(|_| {
                    bad(format!(
                        "`{rule}`: the seed must be an unsigned 64-bit integer"
                    ))
                })?);
                continue;
            }
            let rules = match service {
                None => &mut out.all,
                Some(s) if SERVICES.contains(&s) => out.services.entry(s.to_owned()).or_default(),
                Some(s) => {
                    return Err(bad(format!(
                        "`{rule}`: unknown service `{s}` (one of {})",
                        SERVICES.join(", ")
                    )));
                }
            };
            let rate = || -> Result<f64, SpecError> {
                match value.parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                    _ => Err(bad(format!("`{rule}`: a rate is a number from 0 to 1"))),
                }
            };
            let slot_taken = match kind {
                "error500" => rules.error500.replace(rate()?).is_some(),
                "throttle" => rules.throttle.replace(rate()?).is_some(),
                "reset" => rules.reset.replace(rate()?).is_some(),
                "reset_after" => rules.reset_after.replace(rate()?).is_some(),
                "latency" => {
                    let ms = value
                        .parse::<u64>()
                        .ok()
                        .filter(|ms| *ms <= MAX_LATENCY_MS)
                        .ok_or_else(|| {
                            bad(format!(
                                "`{rule}`: latency is whole milliseconds from 0 to {MAX_LATENCY_MS}"
                            ))
                        })?;
                    rules.latency_ms.replace(ms).is_some()
                }
                other => {
                    return Err(bad(format!(
                        "`{rule}`: unknown kind `{other}` (error500, throttle, reset, \
                         reset_after, latency, seed)"
                    )));
                }
            };
            if slot_taken {
                return Err(bad(format!("`{rule}`: given twice")));
            }
        }
        let mut check = vec![("every service".to_owned(), out.all)];
        check.extend(
            out.services
                .iter()
                .map(|(s, r)| (s.clone(), r.over(out.all))),
        );
        for (who, rules) in check {
            if rules.failure_rate() > 1.0 + 1e-9 {
                return Err(bad(format!(
                    "the failure rates for {who} add up to {} (at most 1)",
                    rules.failure_rate()
                )));
            }
        }
        Ok(out)
    }

    /// The rules that apply to `service`.
    pub fn for_service(&self, service: &str) -> Rules {
        self.services
            .get(service)
            .copied()
            .unwrap_or_default()
            .over(self.all)
    }
}

impl FromStr for Spec {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        Spec::parse(s)
    }
}

impl fmt::Display for Spec {
    /// The canonical SPEC: every-service rules first, then by service.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut push = |prefix: &str, r: &Rules| {
            for (kind, v) in [
                ("error500", r.error500),
                ("throttle", r.throttle),
                ("reset", r.reset),
                ("reset_after", r.reset_after),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{prefix}{kind}={v}"));
                }
            }
            if let Some(ms) = r.latency_ms {
                parts.push(format!("{prefix}latency={ms}"));
            }
        };
        push("", &self.all);
        for (s, r) in &self.services {
            push(&format!("{s}:"), r);
        }
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        f.write_str(&parts.join(","))
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every platform.
#[derive(Debug)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(spec: &str) -> String {
        Spec::parse(spec).expect_err(spec).to_string()
    }

    #[test]
    fn the_example_spec_parses_and_service_rules_override_the_rest() {
        let s =
            Spec::parse("dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20").unwrap();
        assert_eq!(s.seed, None);
        assert_eq!(
            s.all,
            Rules {
                reset: Some(0.02),
                latency_ms: Some(20),
                ..Rules::default()
            }
        );
        let d = s.for_service("dynamodb");
        assert_eq!(d.throttle, Some(0.1));
        assert_eq!(d.reset, Some(0.02));
        assert_eq!(d.error500, None);
        assert_eq!(d.latency(), Duration::from_millis(20));
        let s3 = s.for_service("s3");
        assert_eq!((s3.error500, s3.throttle), (Some(0.05), None));
        let sqs = s.for_service("sqs");
        assert_eq!(
            (sqs.reset, sqs.throttle, sqs.error500),
            (Some(0.02), None, None)
        );

        let o = Spec::parse(" latency = 30 , s3:latency=0, seed=7 ,").unwrap();
        assert_eq!(o.seed, Some(7));
        assert_eq!(o.for_service("s3").latency(), Duration::ZERO);
        assert_eq!(o.for_service("sns").latency(), Duration::from_millis(30));
    }

    #[test]
    fn the_canonical_form_parses_back_to_the_same_spec() {
        for spec in [
            "dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20",
            "reset_after=0.5,cognito-idp:throttle=0.25,seed=18446744073709551615",
            "unknown:error500=1",
        ] {
            let s = Spec::parse(spec).unwrap();
            assert_eq!(Spec::parse(&s.to_string()).unwrap(), s, "{s}");
        }
        assert_eq!(
            Spec::parse("s3:throttle=0.5,latency=20,seed=3")
                .unwrap()
                .to_string(),
            "latency=20,s3:throttle=0.5,seed=3"
        );
    }

    #[test]
    fn invalid_specs_say_what_is_wrong() {
        assert!(err("").contains("empty"));
        assert!(err(" , ").contains("empty"));
        assert!(err("throttle").contains("expected `[service:]kind=value`"));
        assert!(err("slow=0.1").contains("unknown kind `slow`"));
        assert!(err("dynamo:throttle=0.1").contains("unknown service `dynamo`"));
        assert!(err("throttle=1.5").contains("a rate is a number from 0 to 1"));
        assert!(err("throttle=-0.1").contains("from 0 to 1"));
        assert!(err("throttle=NaN").contains("from 0 to 1"));
        assert!(err("throttle=ten%").contains("from 0 to 1"));
        assert!(err("latency=-1").contains("whole milliseconds"));
        assert!(err("latency=2.5").contains("whole milliseconds"));
        assert!(err("latency=60001").contains("whole milliseconds"));
        assert!(err("s3:seed=1").contains("every service"));
        assert!(err("seed=x").contains("unsigned 64-bit"));
        assert!(err("seed=1,seed=2").contains("seed given twice"));
        assert!(err("throttle=0.1,throttle=0.2").contains("given twice"));
        assert!(err("s3:reset=0.1,s3:reset=0.1").contains("given twice"));
        assert!(err("throttle=0.6,error500=0.5").contains("every service add up to"));
        // A service's own rules plus the every-service ones it does not override.
        assert!(err("reset=0.5,s3:throttle=0.6").contains("for s3 add up to"));
        assert!(Spec::parse("throttle=0.5,s3:throttle=0.2,s3:error500=0.9").is_err());
        assert!(Spec::parse("throttle=0.5,s3:throttle=0.2,s3:error500=0.8").is_ok());
        assert!(Spec::parse("throttle=0.9,s3:throttle=0.1,s3:error500=0.9").is_ok());
        assert!(err("x").starts_with("invalid fault SPEC: "));
    }

    #[test]
    fn one_draw_picks_reset_then_reset_after_then_500_then_throttle() {
        let r = Rules {
            reset: Some(0.1),
            reset_after: Some(0.1),
            error500: Some(0.2),
            throttle: Some(0.3),
            latency_ms: None,
        };
        assert_eq!(r.decide(0.0), Some(Fault::Reset));
        assert_eq!(r.decide(0.15), Some(Fault::ResetAfter));
        assert_eq!(r.decide(0.25), Some(Fault::Error500));
        assert_eq!(r.decide(0.45), Some(Fault::Throttle));
        assert_eq!(r.decide(0.7), None);
        assert_eq!(Rules::default().decide(0.0), None);
        let all = Rules {
            throttle: Some(1.0),
            ..Rules::default()
        };
        assert_eq!(all.decide(0.999_999), Some(Fault::Throttle));
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let draws = |seed| {
            let mut r = Rng(seed);
            (0..1000).map(|_| r.next_f64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let d = draws(7);
        assert!(d.iter().all(|x| (0.0..1.0).contains(x)));
        let below = d.iter().filter(|x| **x < 0.3).count();
        assert!((250..350).contains(&below), "{below} of 1000 below 0.3");
    }
}
