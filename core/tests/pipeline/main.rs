//! The pipeline's decisions (sniff, verdict, settle once) and whom they tell.
//!
//! One module per section; [`world`] holds the setup they share.

mod world;

mod accepted;
mod bounded_reads;
mod concurrency;
mod disguises;
mod exactly_once;
mod keys;
mod notices;
mod orphans;
mod rejected;
mod replaced_bytes;
mod scanning;
mod scanning_races;
