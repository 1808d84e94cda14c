//! The interpreter: runs compiled rules over per-customer event streams in
//! event time and emits actions. Pure: events come in through `Engine::push`,
//! outputs go out through the `Sink` trait; the binary does the I/O.

pub mod action;
mod customers;
mod dedupe;
pub mod engine;
pub mod event;
mod fire;
pub mod ids;
pub mod ops;
mod positions;
pub mod quiet;
mod reorder;
pub mod snapshot;
pub mod state;
pub mod stats;
pub mod time;
mod timers;
pub mod value;
pub mod vm;

pub use action::{Action, Notice};
pub use engine::{Engine, Late};
pub use event::{Event, EventKind};
pub use fire::{match_language, Due};
pub use value::Value;

/// Where the engine's outputs go. The binary writes NDJSON files; tests
/// collect into vectors.
pub trait Sink {
    fn action(&mut self, action: Action);
    fn notice(&mut self, notice: Notice);
}

/// A sink that keeps everything in memory (tests, `trig test`).
#[derive(Debug, Default)]
pub struct Collect {
    pub actions: Vec<Action>,
    pub notices: Vec<Notice>,
}

impl Sink for Collect {
    fn action(&mut self, action: Action) {
        self.actions.push(action);
    }
    fn notice(&mut self, notice: Notice) {
        self.notices.push(notice);
    }
}
