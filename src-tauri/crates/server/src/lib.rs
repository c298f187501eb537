//! `hookboard-server`: the headless shell around the engine. This library holds what the
//! binary's subcommands do, so that tests can call it without a process.

pub mod bundle;
pub mod commit;
pub mod inbound;
pub mod journeys;
pub mod keys;
pub mod local;
pub mod metrics;
pub mod openapi;
pub mod publish;
pub mod run;
pub mod serve;
pub mod signature;
