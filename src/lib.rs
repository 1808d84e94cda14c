//! trig: a compiler and interpreter for behavioral trigger rules.
//!
//! The library is pure: it never touches the file system, the network or
//! the wall clock. The `trig` binary (src/main.rs, src/cli/) does the I/O
//! and hands text to the library. See ARCHITECTURE.md for the pipeline.

pub mod check;
pub mod compile;
pub mod diag;
pub mod fmt;
pub mod ide;
pub mod input;
pub mod report;
pub mod runtime;
pub mod syntax;
pub mod testing;
