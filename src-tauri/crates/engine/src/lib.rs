//! The Hookboard engine: the bundle model, the node catalogue, validation, expressions,
//! HTTP execution, response parsing and the runner. Every shell (desktop, server, CLI) calls it.

pub mod auth;
pub mod catalogue;
pub mod expr;
pub mod http;
pub mod model;
pub mod parse;
pub mod runner;
pub mod trace;
pub mod validate;
