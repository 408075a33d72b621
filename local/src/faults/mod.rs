//! A fault-injecting HTTP/1.1 reverse proxy in front of the emulator, so that the functions'
//! SDK clients meet what real AWS sometimes answers: 500s, throttling, connections that drop,
//! and latency. `dropgate-local --inject-faults SPEC` puts it between the functions and the
//! emulator; provisioning (and anything using the ready line's `aws_endpoint`) still talks to
//! the emulator directly.
//!
//! # SPEC
//!
//! Comma-separated rules, each `kind=value` (every service) or `service:kind=value` (that
//! service only; it overrides the every-service rule of the same kind):
//!
//! | kind               | value              | effect                                                      |
//! |--------------------|--------------------|-------------------------------------------------------------|
//! | `error500=RATE`    | 0..=1              | answer 500 in the service's wire format                     |
//! | `throttle=RATE`    | 0..=1              | answer the service's throttling error (below)               |
//! | `reset=RATE`       | 0..=1              | close the connection (RST) without forwarding or answering  |
//! | `reset_after=RATE` | 0..=1              | forward, then close the connection without the answer (the call took effect; the caller cannot know) |
//! | `latency=MS`       | 0..=60000          | wait this long before forwarding (or answering a fault)      |
//! | `seed=U64`         | any u64            | seed of the fault RNG (no service prefix; default: the clock) |
//!
//! Services are named as in SigV4 credential scopes: `s3`, `dynamodb`, `sqs`, `sns`, `events`
//! (EventBridge), `ses`, `cognito-idp`, `kms`, and `unknown` (a request none of the rules below recognise). Per
//! service, the failure rates must add up to at most 1. Example:
//! `dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20`.
//!
//! Throttling errors are those the SDK retries as throttling and that
//! `dropgate_infra::error::is_throttle` knows: S3 `503 SlowDown` (XML); the JSON protocols
//! (DynamoDB, SQS, KMS, EventBridge, Cognito) `400` with `__type` `...#ThrottlingException` (Cognito:
//! `TooManyRequestsException`); the query protocol (SNS, SES) `400 <ErrorResponse>` with code
//! `Throttling`.
//!
//! # Per request
//!
//! The service is the `authorization` header's credential scope
//! (`Credential=AKID/date/region/<service>/aws4_request`), else a presigned URL's
//! `X-Amz-Credential` query parameter, else `x-amz-target` (`DynamoDB_20120810.*` is
//! `dynamodb`, ...), else `unknown`. The latency is waited first; then one number `r` in
//! `[0, 1)` is drawn from the seeded RNG (one draw per request, so the same run of requests
//! meets the same faults) and compared with the cumulative rates in the order `reset`,
//! `reset_after`, `error500`, `throttle`. The emulator's own API (`/moto-api/...`) is
//! forwarded, never faulted nor counted.
//!
//! # Counters
//!
//! `GET /__faults` on the proxy (never forwarded) answers
//! `{"spec", "seed", "upstream", "totals": COUNTS, "services": {"<service>": COUNTS}}` where
//! `COUNTS` is `{"requests", "forwarded", "delayed", "error500", "throttle", "reset",
//! "reset_after", "faults", "upstream_errors"}`: requests seen, forwarded to the emulator,
//! delayed by `latency`, faults injected by kind and in all, and forwards the emulator failed
//! (answered `502`).
//!
//! # Layout
//!
//! `spec` parses SPEC and draws the faults; `services` tells which service a request is
//! for and how each one throttles; `wire` frames the proxy's own answers and what it
//! forwards; `proxy` accepts connections, forwards, injects and counts.

mod proxy;
mod services;
mod spec;
mod wire;

pub use proxy::{COUNTERS_PATH, Counts, FaultProxy, behind};
pub use services::{SERVICES, service_of};
pub use spec::{Fault, MAX_LATENCY_MS, Rules, Spec, SpecError};
