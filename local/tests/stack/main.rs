//! Every test of the local crate, in one binary: each links the whole AWS SDK, so one binary
//! instead of one per file saves minutes of linking in CI. Each module is one former test file;
//! run one with `cargo test -p dropgate-local --test stack <module>::`.

mod common;
mod e2e_cli;
mod e2e_disguise;
mod e2e_drop_note;
mod e2e_edits;
mod e2e_emulator;
mod e2e_everyday;
mod e2e_exposure;
mod e2e_faults;
mod e2e_keys;
mod e2e_link_quota;
mod e2e_links;
mod e2e_multipart;
mod e2e_pipeline;
mod e2e_poison;
mod e2e_process;
mod e2e_profile;
mod e2e_reliability;
mod e2e_scan;
mod e2e_scan_faults;
mod e2e_scan_results;
mod e2e_server;
mod e2e_server_limits;
mod e2e_share_lockout;
mod e2e_shares;
mod e2e_spine;
mod e2e_stream;
mod e2e_web;
mod events;
mod infra_adapters;
mod infra_links;
mod infra_multipart;
mod infra_scan;
mod infra_shares;
mod template_sync;
