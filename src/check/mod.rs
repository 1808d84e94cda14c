//! The checker: names, types, channel rules and catalogs. Turns parsed
//! files into the checked IR ([`ir::Program`]) plus diagnostics; start
//! with [`Workspace`].

pub mod catalog;
pub mod channels;
pub mod config;
pub mod coverage;
pub mod ir;
pub mod rules;
pub mod schema;
pub mod sms;
mod suggest;
mod suppress;
pub mod types;
mod workspace;

pub use workspace::{Checked, Workspace};
