//! `trig run --threads N`: customers partitioned across N threads.
//!
//! Every thread both decodes and runs rules. The main thread reads the
//! inputs in blocks of whole lines and hands block b to thread b mod N to
//! decode; that thread splits the block's events into N parts by a hash of
//! the customer id, and each thread applies the parts meant for it in
//! block order. A customer is always on one thread, so everything kept per
//! customer (waits, counts, limits, caps, positions, action ids) is as on
//! one thread.
//!
//! One shared watermark, without a lock: each part carries, for each of
//! its events, the newest time its block held before that event, and every
//! part carries its block's newest time (even a part with no event), so a
//! thread that applies blocks in order knows, at each of its events, the
//! newest time of every event read before it. That is the watermark one
//! thread would have there: the same events are late, the same timers
//! fire. Outputs are the same set as on one thread; only their order
//! differs.
//!
//! Memory stays bounded: the main thread holds a credit for each block in
//! flight and waits for one when `IN_FLIGHT` blocks are unapplied; a block
//! returns its credit when the last thread has applied its part.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};

use trig::compile::Program;
use trig::input::Decoder;
use trig::report::Figures;
use trig::runtime::stats::Stats;
use trig::runtime::{Action, Engine, Event, Notice, Sink};

use super::outputs::Outputs;
use super::reader::{Line, Lines, Span};
use super::run::{read_line, CachedClock, Clock, Plan};

/// Bytes of input a block holds (whole lines; a longer line makes a
/// longer block).
const BLOCK_BYTES: usize = 256 << 10;
/// Blocks read but not yet applied by every thread.
const IN_FLIGHT: usize = 64;
/// Output a thread gathers before it takes the output lock.
const FLUSH_BYTES: usize = 256 << 10;

/// What the threads share, read-only but for the outputs.
pub struct Shared<'a> {
    pub plan: &'a Plan,
    pub files: &'a [String],
    pub max_line_bytes: usize,
    pub max_future: i64,
    pub clock: &'a (dyn Clock + Sync),
    pub out: Mutex<&'a mut Outputs>,
    pub trace: Option<&'a str>,
    /// Whether suppressed and deferred sends are written (`--suppressed`).
    pub suppressed: bool,
    /// Whether the report's figures are gathered (`--report`).
    pub report: bool,
    /// Set when an output failed: reading stops.
    pub stop: AtomicBool,
}

impl<'a> Shared<'a> {
    fn out(&self) -> MutexGuard<'_, &'a mut Outputs> {
        // A thread that panicked holding the lock left whole lines only
        // (each write is one call), so the outputs are still usable.
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a run on N threads leaves for the summary.
pub struct Finished {
    pub stats: Stats,
    pub trace: Vec<String>,
    /// The engine that held the traced customer, for `--trace`'s summary.
    pub traced: Option<Engine>,
    /// Every thread's report figures, merged (`--report`).
    pub figures: Option<Figures>,
}

/// The thread that owns a customer.
pub fn owner(customer: &str, threads: usize) -> usize {
    let mut h = rustc_hash::FxHasher::default();
    h.write(customer.as_bytes());
    // The high bits of a multiplicative hash are the well-mixed ones.
    ((u128::from(h.finish()) * threads as u128) >> 64) as usize
}

/// Returns a block's credit to the reader when the block is dropped.
struct Credit(SyncSender<()>);

impl Drop for Credit {
    fn drop(&mut self) {
        let _ = self.0.try_send(());
    }
}

/// Whole lines of one input file.
struct Block {
    index: u64,
    file: usize,
    first_line: u64,
    text: Vec<u8>,
    lines: Vec<Span>,
    _credit: Credit,
}

impl Block {
    fn raw(&self, i: usize) -> &[u8] {
        &self.text[self.lines[i].start..self.lines[i].end]
    }
    fn line_number(&self, i: usize) -> u64 {
        self.first_line + i as u64
    }
}

/// The events of one block that one thread applies.
struct Part {
    block: Arc<Block>,
    /// The newest time of the whole block.
    newest: Option<i64>,
    events: Vec<Routed>,
}

struct Routed {
    event: Event,
    /// The newest time in the block before this event.
    newest_before: Option<i64>,
    /// The line's index in its block.
    line: usize,
}

enum Msg {
    Decode(Block),
    Part(Part),
    /// The number of blocks: nothing follows.
    End(u64),
}

/// Runs the inputs on `threads` threads (at least 2).
pub fn run(shared: &Shared, program: Arc<Program>, threads: usize) -> Result<Finished, String> {
    let (senders, inboxes): (Vec<Sender<Msg>>, Vec<Receiver<Msg>>) =
        (0..threads).map(|_| channel()).unzip();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        let mut spawn_error = None;
        for (me, inbox) in inboxes.into_iter().enumerate() {
            let peers = senders.clone();
            let program = program.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("trig-{me}"))
                .spawn_scoped(scope, move || {
                    Worker::new(me, peers, shared, program).run(inbox)
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    spawn_error = Some(format!(
                        "--threads {threads}: could not start thread {}: {e}",
                        me + 1
                    ));
                    break;
                }
            }
        }
        // Nothing is read when a thread could not start: the ones that did
        // are told the end at once.
        let read = match spawn_error {
            Some(e) => Err(e),
            None => read_blocks(shared, &senders),
        };
        // Even after a read error the threads are told the end, so they
        // finish and the scope can join them.
        for s in &senders {
            let _ = s.send(Msg::End(read.as_ref().map_or(0, |n| *n)));
        }
        let engines: Vec<(Engine, Option<Figures>)> = handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a worker thread panicked".to_string()))
            .collect::<Result<_, _>>()?;
        read?;
        Ok(finish(engines, shared.trace, threads))
    })
}

fn finish(
    engines: Vec<(Engine, Option<Figures>)>,
    trace: Option<&str>,
    threads: usize,
) -> Finished {
    let mut stats: Option<Stats> = None;
    let mut lines = Vec::new();
    let mut traced = None;
    let mut figures: Option<Figures> = None;
    let owner = trace.map(|c| owner(c, threads));
    for (i, (mut e, f)) in engines.into_iter().enumerate() {
        lines.extend(e.take_trace());
        match (&mut figures, f) {
            (Some(all), Some(f)) => all.merge(f),
            (all, f) => *all = all.take().or(f),
        }
        match &mut stats {
            Some(s) => s.merge(e.stats()),
            None => stats = Some(e.stats().clone()),
        }
        if owner == Some(i) {
            traced = Some(e);
        } else {
            // Freeing a million customers one allocation at a time takes
            // longer than the OS takes to drop the pages at exit.
            std::mem::forget(e);
        }
    }
    Finished {
        stats: stats.unwrap_or_default(),
        trace: lines,
        traced,
        figures,
    }
}

/// Reads every input into blocks, block b to thread b mod N; returns the
/// number of blocks.
fn read_blocks(shared: &Shared, workers: &[Sender<Msg>]) -> Result<u64, String> {
    let (credit_tx, credits) = sync_channel(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        let _ = credit_tx.send(());
    }
    let mut index = 0u64;
    for (file, name) in shared.files.iter().enumerate() {
        let mut lines = Lines::open(name, shared.max_line_bytes, &[])?;
        loop {
            if shared.stop.load(Ordering::Relaxed) || credits.recv().is_err() {
                return Ok(index);
            }
            let mut block = Block {
                index,
                file,
                first_line: lines.line + 1,
                text: Vec::with_capacity(BLOCK_BYTES + 1024),
                lines: Vec::new(),
                _credit: Credit(credit_tx.clone()),
            };
            lines.next_block(&mut block.text, &mut block.lines, BLOCK_BYTES)?;
            if block.lines.is_empty() {
                break;
            }
            let to = &workers[(index % workers.len() as u64) as usize];
            index += 1;
            if to.send(Msg::Decode(block)).is_err() {
                return Err("a worker thread stopped early".into());
            }
        }
    }
    Ok(index)
}

struct Worker<'s, 'a> {
    me: usize,
    peers: Vec<Sender<Msg>>,
    shared: &'s Shared<'a>,
    engine: Engine,
    sink: Buffered<'s, 'a>,
    clock: CachedClock<'a>,
    /// One decoder per input file, made on first use.
    decoders: Vec<Option<Decoder>>,
    /// Parts that arrived ahead of their turn.
    pending: BTreeMap<u64, Part>,
    /// The next block to apply.
    next: u64,
    end: Option<u64>,
    /// The newest time of every block applied.
    newest: Option<i64>,
}

impl<'s, 'a> Worker<'s, 'a> {
    fn new(
        me: usize,
        peers: Vec<Sender<Msg>>,
        shared: &'s Shared<'a>,
        program: Arc<Program>,
    ) -> Worker<'s, 'a> {
        let mut engine = Engine::new(program);
        if let Some(c) = shared.trace {
            engine.trace_customer(c);
        }
        Worker {
            me,
            peers,
            shared,
            engine,
            sink: Buffered {
                shared,
                actions: Vec::new(),
                notices: Vec::new(),
                figures: shared.report.then(Figures::new),
            },
            clock: CachedClock::new(shared.clock),
            decoders: shared.files.iter().map(|_| None).collect(),
            pending: BTreeMap::new(),
            next: 0,
            end: None,
            newest: None,
        }
    }

    /// Runs until the end of input; the engine and the report figures.
    fn run(mut self, inbox: Receiver<Msg>) -> (Engine, Option<Figures>) {
        while self.end != Some(self.next) {
            let Ok(msg) = inbox.recv() else { break };
            match msg {
                Msg::Decode(block) => self.decode(block),
                Msg::Part(p) => {
                    self.pending.insert(p.block.index, p);
                }
                Msg::End(n) => self.end = Some(n),
            }
            self.apply_ready();
        }
        // Peers may still send parts of blocks past a read error; they
        // are dropped with the inbox.
        let until = if self.shared.stop.load(Ordering::Relaxed) {
            None
        } else {
            self.shared.plan.until
        };
        self.engine.finish(until, &mut self.sink);
        self.sink.flush();
        (self.engine, self.sink.figures)
    }

    /// Decodes a block and sends each thread its part.
    fn decode(&mut self, block: Block) {
        let n = self.peers.len();
        let mut parts: Vec<Vec<Routed>> = (0..n).map(|_| Vec::new()).collect();
        let mut newest: Option<i64> = None;
        let decoder = self.decoders[block.file].get_or_insert_with(|| {
            let p = self.shared.plan;
            Decoder::new(p.format, p.map.clone(), &self.shared.files[block.file])
        });
        // Only a file's first line may start with a byte-order mark.
        decoder.set_first_line(block.first_line == 1);
        let mut rejected = Vec::new();
        for (i, span) in block.lines.iter().enumerate() {
            let raw = &block.text[span.start..span.end];
            let line = match span.too_long {
                Some(length) => Line::TooLong { start: raw, length },
                None => Line::Text(raw),
            };
            let shared = self.shared;
            let decoded = read_line(
                line,
                decoder,
                &mut self.clock,
                shared.max_future,
                shared.plan.min_time,
                shared.max_line_bytes,
            );
            match decoded {
                Ok(Some(event)) => {
                    let to = owner(&event.customer, n);
                    let time = event.time;
                    parts[to].push(Routed {
                        event,
                        newest_before: newest,
                        line: i,
                    });
                    newest = Some(newest.map_or(time, |m| m.max(time)));
                }
                Ok(None) => {}
                Err(reason) => rejected.push((i, reason)),
            }
        }
        let block = Arc::new(block);
        if !rejected.is_empty() {
            let name = &self.shared.files[block.file];
            let mut out = self.shared.out();
            for (i, reason) in rejected {
                out.dead_letter(name, block.line_number(i), &reason, block.raw(i));
            }
        }
        for (to, events) in parts.into_iter().enumerate() {
            let part = Part {
                block: block.clone(),
                newest,
                events,
            };
            if to == self.me {
                self.pending.insert(block.index, part);
            } else {
                // A peer that is gone has stopped; its part is not needed.
                let _ = self.peers[to].send(Msg::Part(part));
            }
        }
    }

    /// Applies the parts whose turn has come, in block order.
    fn apply_ready(&mut self) {
        while let Some(part) = self.pending.remove(&self.next) {
            self.apply(part);
            self.next += 1;
        }
    }

    fn apply(&mut self, part: Part) {
        let newest = |a: Option<i64>, b: Option<i64>| a.max(b);
        for r in part.events {
            if let Some(t) = newest(self.newest, r.newest_before) {
                self.engine.observe(t, &mut self.sink);
            }
            if let Err(late) = self.engine.push(r.event, &mut self.sink) {
                let b = &part.block;
                self.shared.out().dead_letter(
                    &self.shared.files[b.file],
                    b.line_number(r.line),
                    &late.to_string(),
                    b.raw(r.line),
                );
            }
        }
        self.newest = newest(self.newest, part.newest);
        if let Some(t) = self.newest {
            self.engine.observe(t, &mut self.sink);
        }
        if self.sink.len() >= FLUSH_BYTES {
            self.sink.flush();
        }
    }
}

/// A thread's outputs, gathered and written under the lock in batches.
struct Buffered<'s, 'a> {
    shared: &'s Shared<'a>,
    actions: Vec<u8>,
    notices: Vec<u8>,
    /// This thread's share of the report (`--report`).
    figures: Option<Figures>,
}

impl Buffered<'_, '_> {
    fn len(&self) -> usize {
        self.actions.len() + self.notices.len()
    }

    fn flush(&mut self) {
        if self.len() == 0 {
            return;
        }
        let mut out = self.shared.out();
        out.write_raw(&self.actions, &self.notices);
        if out.failed.is_some() {
            self.shared.stop.store(true, Ordering::Relaxed);
        }
        self.actions.clear();
        self.notices.clear();
    }
}

impl Sink for Buffered<'_, '_> {
    fn action(&mut self, a: Action) {
        if let Some(f) = &mut self.figures {
            f.action(&a);
        }
        a.write_json(&mut self.actions);
        self.actions.push(b'\n');
    }
    fn notice(&mut self, n: Notice) {
        if let Some(f) = &mut self.figures {
            f.notice(&n);
        }
        if self.shared.suppressed {
            self.notices
                .extend_from_slice(n.to_json().to_string().as_bytes());
            self.notices.push(b'\n');
        }
    }
}
