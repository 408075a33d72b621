//! Contract suites, one per port: the behaviour every adapter of the port must show, run
//! against the in-memory fake here and against the emulator's adapters in `dropgate-local`.

pub mod ledger;
pub mod shares;
