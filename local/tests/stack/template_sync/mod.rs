//! template.yaml (what `sam deploy` creates) against the local stack's provisioning (what
//! `dropgate-local` creates on the emulator), so that the two cannot drift apart unnoticed:
//! tables (keys, attribute types, indexes, billing, TTL, PITR, SSE, change streams), the uploads
//! queue's redrive, the notifier's on-failure queue, the bucket notification, the functions'
//! environment variables and how they are wired, the upload log stream's event source against the
//! local stream pump, the parameters' defaults against the code's, the tables, streams, topic and
//! mail identity each function's policy reaches, and the HTTP API's routes against the API
//! handler's route table; and the malware gate (`malware_gate`).
//!
//! Local names map to logical ids through the table in docs/RESOURCES.md, which this test reads,
//! as it reads which function gets which variable there, so those tables are held in step too.
//! Offline: no emulator, no AWS.
//!
//! One module per topic; `toolkit` holds what they share (reading template.yaml and
//! docs/RESOURCES.md), and `translated` checks what SAM generates from the template.

mod audit;
mod environment;
mod event_sources;
mod malware_gate;
mod parameters;
mod policies;
mod queues;
mod routes;
mod tables;
mod toolkit;
mod translated;
mod translation;
