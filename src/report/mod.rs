//! The backtest report of `trig run --report`: per rule, sends over time,
//! channel mix, suppressions by reason, the delay from trigger to send,
//! quiet-hours deferrals and goal conversion of sends against the holdout
//! with the lift's confidence interval. Pure like the rest of the library:
//! `Figures` is fed the run's actions and notices, `Report` renders to
//! HTML (`html::render`) and JSON (`Report::to_json`); the binary writes
//! the files.

mod charts;
pub mod figures;
pub mod html;
mod json;
pub mod stats;

pub use charts::thousands;
pub use figures::{Figures, Report};
