//! The interpreter: runs compiled rules over per-customer event streams in
//! event time and emits actions. Pure: events come in through `Engine::push`,
//! outputs go out through the `Sink` trait; the binary does the I/O.

pub mod action;
pub mod event;
pub mod ids;
pub mod time;
pub mod value;

pub use action::{Action, Notice};
pub use event::{Event, EventKind};
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
