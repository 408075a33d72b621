//! The local stack's one error type, shared by every module that starts or provisions a part of
//! it (a leaf, so that `lib.rs`, which wires those modules together, need not be used by them).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LocalError {
    #[error("emulator: {0}")]
    Emulator(String),
    #[error("provisioning: {0}")]
    Provision(String),
    #[error("configuration: {0}")]
    Config(#[from] dropgate_infra::InfraError),
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: String, why: String },
    #[error("scanner: {0}")]
    Scanner(String),
    #[error("--inject-faults: {0}")]
    Faults(String),
}
