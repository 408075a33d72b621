//! What the bench commands (`src/bin/`) share: timing statistics, the local stack as the
//! end-to-end benches drive it, the minimal Lambda Runtime API that real bootstraps are started
//! against, where a run happened, and writing results into docs/BENCHMARKS.md.

pub mod docs;
pub mod machine;
pub mod runtime_api;
pub mod stack;
pub mod stats;
