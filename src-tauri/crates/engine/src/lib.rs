//! The Hookboard engine: the bundle model, the node catalogue, validation, expressions,
//! HTTP execution, response parsing and the runner. Every shell (desktop, server, CLI) calls it.

pub mod catalogue;
pub mod expr;
pub mod model;
pub mod trace;
pub mod auth;
pub mod http;
pub mod parse;
