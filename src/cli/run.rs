//! `trig run`: rules over event streams, in event time, printing the
//! actions to send. The I/O around the pure engine: reading event files,
//! the wall clock (for `max_future`), output files, the durable state
//! store and checkpoints, the summary.

use std::io::{BufWriter, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use trig::compile::Program;
use trig::input::{parse_map, parse_time_str, Decoder, InputFormat};
use trig::report::Figures;
use trig::runtime::snapshot::RestoreReport;
use trig::runtime::{Engine, Event};

use super::outputs::{Out, Outputs};
use super::reader::{Line, Lines};
use super::report;
use super::store::{RunMeta, Store};
use super::summary;
use super::{project, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or folders (*.trig, compiled in memory), or one .trigc
    /// file; default: the current folder.
    paths: Vec<PathBuf>,
    /// The project file (default: the trig.toml nearest above the first
    /// path, else above the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// An event file, or `-` for stdin; repeat for several files, read in
    /// order as one stream.
    #[arg(long = "events", value_name = "FILE|-", required = true)]
    events: Vec<String>,
    /// Input format: auto, ndjson, segment or csv.
    #[arg(long, default_value = "auto")]
    input: String,
    /// Field names (or 1-based CSV columns): customer=F,event=F,time=F[,id=F].
    #[arg(long)]
    map: Option<String>,
    /// Write actions here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write suppressed and deferred sends, with reasons, here.
    #[arg(long, value_name = "FILE")]
    suppressed: Option<PathBuf>,
    /// Write rejected input lines (file, line, reason, raw line) here.
    #[arg(long = "dead-letter", value_name = "FILE")]
    dead_letter: Option<PathBuf>,
    /// At the end of input, advance time to this instant (inclusive).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Explain, for one customer, why each rule fired, waited or did not.
    #[arg(long, value_name = "CUSTOMER")]
    trace: Option<String>,
    /// Stop (exit 1) after this many rejected input lines.
    #[arg(long = "max-errors", value_name = "N")]
    max_errors: Option<u64>,
    /// Keep all runtime state in this folder and resume from it.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// With --state: checkpoint every N events, or every DURATION of wall
    /// clock (`5s`, `1m`); also at a clean end. Default: 100000.
    #[arg(long = "checkpoint-every", value_name = "N|DURATION")]
    checkpoint_every: Option<String>,
    /// Events before this time are rejected (dead letter).
    #[arg(long = "min-time", value_name = "TIME")]
    min_time: Option<String>,
    /// Lines longer than this many bytes are rejected without being held in
    /// memory.
    #[arg(long = "max-line-bytes", value_name = "N", default_value_t = 1 << 20)]
    max_line_bytes: usize,
    /// Threads to run on: customers are partitioned across them (the
    /// actions are the same set as on one thread, in another order).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Write a backtest report here (self-contained HTML: sends over time,
    /// channels, suppressions, delays, deferrals, goal lift), and the same
    /// figures as JSON next to it (same name, `.json`).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

/// When to checkpoint.
#[derive(Clone, Copy)]
enum Every {
    Events(u64),
    Wall(Duration),
}

fn parse_every(s: &str) -> Result<Every, String> {
    if let Ok(n) = s.parse::<u64>() {
        return if n == 0 {
            Err(
                "--checkpoint-every: give a number of events above 0, or a duration such as 5s"
                    .into(),
            )
        } else {
            Ok(Every::Events(n))
        };
    }
    trig::syntax::parser::parse_duration(s)
        .map(|ms| Every::Wall(Duration::from_millis(ms)))
        .map_err(|(m, _)| format!("--checkpoint-every: {m}"))
}

/// The wall clock, behind a trait so the rest stays testable.
pub trait Clock: Sync {
    fn now_ms(&self) -> i64;
}

struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

pub fn run(a: Args) -> i32 {
    match run_inner(a, &SystemClock) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("trig run: {msg}");
            EXIT_USAGE
        }
    }
}

/// The settings of one run, parsed from the arguments.
pub(super) struct Plan {
    pub(super) format: InputFormat,
    pub(super) map: Option<trig::input::FieldMap>,
    pub(super) until: Option<i64>,
    pub(super) min_time: Option<i64>,
    every: Every,
    report: Option<report::Paths>,
}

fn plan(a: &Args) -> Result<Plan, String> {
    check_threads(a)?;
    let time = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|u| parse_time_str(u).map_err(|e| format!("{flag}: {e}")))
            .transpose()
    };
    Ok(Plan {
        format: a.input.parse()?,
        map: a
            .map
            .as_deref()
            .map(parse_map)
            .transpose()
            .map_err(|e| format!("--map: {e}"))?,
        until: time("--until", &a.until)?,
        min_time: time("--min-time", &a.min_time)?,
        every: a
            .checkpoint_every
            .as_deref()
            .map(parse_every)
            .transpose()?
            .unwrap_or(Every::Events(100_000)),
        report: a.report.as_deref().map(report::Paths::new).transpose()?,
    })
}

fn run_inner(a: Args, clock: &dyn Clock) -> Result<i32, String> {
    let plan = plan(&a)?;
    // Every event file must open before anything runs: a typo in the
    // second file should not leave half a run's actions behind.
    for name in a.events.iter().filter(|n| *n != "-") {
        // A pipe is only looked at: opening it here would take the data,
        // or the writer, meant for the real read.
        let regular = std::fs::metadata(name)
            .map_err(|e| format!("{name}: {e}"))?
            .is_file();
        if regular {
            std::fs::File::open(name).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    refuse_overwriting_inputs(&a, &plan)?;
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let Some(program) = project::compile_or_load(&paths, a.config.as_deref())? else {
        return Ok(EXIT_PROBLEMS);
    };
    if program.rules.is_empty() {
        eprintln!("trig run: warning: no rules found in the given paths; events are only read");
    }
    if a.threads > 1 {
        return run_threads(&a, &plan, program, clock);
    }
    let max_future = program.settings.max_future_ms;
    let mut store = a.state.as_deref().map(Store::open).transpose()?;
    let (mut engine, resume) = start(program, store.as_ref())?;
    if let Some(c) = &a.trace {
        engine.trace_customer(c);
    }
    if store.is_some() {
        engine.track_changes();
    }
    let mut out = open_outputs(&a, &resume.outputs)?;
    out.report = plan.report.is_some().then(Figures::new);
    let started = Instant::now();
    let mut cx = Reading {
        clock: CachedClock::new(clock),
        max_future,
        min_time: plan.min_time,
        progress: Progress::new(),
        checkpoints: Checkpoints::new(plan.every),
        // Files of earlier runs keep their positions unless read again.
        done: resume.inputs.clone(),
    };
    let mut aborted = false;
    for name in &a.events {
        let mut lines = Lines::open(name, a.max_line_bytes, &resume.inputs)?;
        let mut decoder = Decoder::new(plan.format, plan.map.clone(), name);
        if lines.offset > 0 && decoder.is_csv() {
            // Resumed mid-file: the CSV header is behind us; read it again.
            if let Some(first) = lines.first_line()? {
                let _ = decoder.decode(&first);
            }
        }
        match read_file(
            &a,
            &mut lines,
            &mut decoder,
            &mut engine,
            &mut out,
            &mut cx,
            store.as_mut(),
        )? {
            Flow::Next => {}
            Flow::Stop => {
                // The stopped file's position is kept: a resume goes on
                // after the line that stopped it.
                remember(&mut cx.done, lines.position());
                aborted = true;
                break;
            }
        }
        remember(&mut cx.done, lines.position());
    }
    cx.progress.clear();
    // A stopped run ends where its input stopped: moving time on to
    // `--until` would fire timers that the unread events might cancel.
    engine.finish(if aborted { None } else { plan.until }, &mut out);
    let positions = out
        .commit()
        .map_err(|e| format!("writing the output: {e}"))?;
    if out.failed.is_some() {
        // The reader went away (`| head`): the rest of the actions were
        // not delivered, so the run did not succeed (and is not
        // checkpointed: a resumed run writes them again).
        eprintln!("trig run: the output was closed early; stopped");
        return Ok(EXIT_PROBLEMS);
    }
    if let Some(store) = store.as_mut() {
        let run = RunMeta {
            inputs: cx.done.clone(),
            outputs: positions,
        };
        store.write(&engine.checkpoint(), &run)?;
    }
    let elapsed = started.elapsed();
    for line in engine.take_trace() {
        eprintln!("{line}");
    }
    if let Some(c) = &a.trace {
        summary::untouched(Some(&engine), c);
    }
    let dead_file = a.dead_letter.is_some();
    summary::print(
        engine.stats(),
        engine.program(),
        out.dead_count,
        dead_file,
        elapsed,
    );
    if let (Some(paths), Some(figures)) = (&plan.report, out.report.take()) {
        let (stats, program) = (engine.stats(), engine.program());
        report::write(paths, figures, stats, program, &a.events, out.dead_count)?;
    }
    // The process ends next: freeing the state of a million customers one
    // allocation at a time takes longer than the OS takes to drop the pages.
    std::mem::forget(engine);
    Ok(if aborted { EXIT_PROBLEMS } else { EXIT_OK })
}

/// Actions to `--out` or stdout, and the optional outputs, each cut back
/// to its checkpointed length when resuming.
fn open_outputs(a: &Args, resume: &[super::store::OutputPos]) -> Result<Outputs, String> {
    let actions = match &a.out {
        Some(p) => Out::file(p, resume)?,
        None => Out::Stream(BufWriter::new(Box::new(std::io::stdout()))),
    };
    let open = |p: &Option<PathBuf>| p.as_deref().map(|p| Out::file(p, resume)).transpose();
    Ok(Outputs::new(
        actions,
        open(&a.suppressed)?,
        open(&a.dead_letter)?,
    ))
}

/// The most `--threads` accepts.
const MAX_THREADS: usize = 256;

/// What `--threads` cannot be combined with, refused before any work.
fn check_threads(a: &Args) -> Result<(), String> {
    if a.threads == 0 {
        return Err("--threads: give a number of threads, 1 or more".into());
    }
    if a.threads == 1 {
        return Ok(());
    }
    if a.threads > MAX_THREADS {
        return Err(format!(
            "--threads {}: at most {MAX_THREADS} (each thread holds its own engine and buffers; more threads than cores only cost memory)",
            a.threads
        ));
    }
    let alone = |flag: &str, why: &str| {
        Err(format!(
            "--threads {} cannot be combined with {flag}: {why}; run it with --threads 1",
            a.threads
        ))
    };
    if a.state.is_some() {
        return alone("--state", "checkpoints are taken on one thread");
    }
    if a.max_errors.is_some() {
        return alone(
            "--max-errors",
            "stopping at the Nth rejected line needs the lines read in order",
        );
    }
    let csv = |name: &String| {
        Decoder::new(a.input.parse().unwrap_or(InputFormat::Auto), None, name).is_csv()
    };
    if let Some(name) = a.events.iter().find(|n| csv(n)) {
        return alone(
            &format!("CSV input ({name})"),
            "a quoted CSV field may go on over the next line, so CSV is read on one thread",
        );
    }
    Ok(())
}

/// `--threads N` (N > 1): customers partitioned across threads
/// (`parallel.rs`); no state store.
fn run_threads(a: &Args, plan: &Plan, program: Program, clock: &dyn Clock) -> Result<i32, String> {
    let mut out = open_outputs(a, &[])?;
    let started = Instant::now();
    let program = Arc::new(program);
    let shared = super::parallel::Shared {
        plan,
        files: &a.events,
        max_line_bytes: a.max_line_bytes,
        max_future: program.settings.max_future_ms,
        clock,
        out: std::sync::Mutex::new(&mut out),
        trace: a.trace.as_deref(),
        suppressed: a.suppressed.is_some(),
        report: plan.report.is_some(),
        stop: Default::default(),
    };
    let finished = super::parallel::run(&shared, program.clone(), a.threads)?;
    out.commit()
        .map_err(|e| format!("writing the output: {e}"))?;
    if out.failed.is_some() {
        eprintln!("trig run: the output was closed early; stopped");
        return Ok(EXIT_PROBLEMS);
    }
    let elapsed = started.elapsed();
    for line in &finished.trace {
        eprintln!("{line}");
    }
    if let Some(c) = &a.trace {
        summary::untouched(finished.traced.as_ref(), c);
    }
    let dead_file = a.dead_letter.is_some();
    summary::print(
        &finished.stats,
        &program,
        out.dead_count,
        dead_file,
        elapsed,
    );
    if let (Some(paths), Some(figures)) = (&plan.report, finished.figures) {
        let stats = &finished.stats;
        report::write(paths, figures, stats, &program, &a.events, out.dead_count)?;
    }
    Ok(EXIT_OK)
}

/// A fresh engine, or one restored from the store (with a report of what
/// was resumed and what rule changes dropped).
fn start(program: Program, store: Option<&Store>) -> Result<(Engine, RunMeta), String> {
    let program = Arc::new(program);
    let Some(loaded) = store.map(Store::load).transpose()?.flatten() else {
        return Ok((Engine::new(program), RunMeta::default()));
    };
    let (engine, report) = Engine::restore(program, loaded.engine, loaded.customers);
    report_restore(
        &report,
        &loaded.run,
        store.map(|s| s.dir.display().to_string()),
    );
    Ok((engine, loaded.run))
}

fn report_restore(r: &RestoreReport, run: &RunMeta, dir: Option<String>) {
    eprintln!(
        "resumed from {}: {} customer(s) with state, {} pending instance(s)",
        dir.unwrap_or_default(),
        summary::thousands(r.customers),
        summary::thousands(r.pending)
    );
    for p in &run.inputs {
        eprintln!(
            "  {} read up to line {}",
            p.path,
            summary::thousands(p.line)
        );
    }
    for (rule, dropped) in &r.changed {
        eprintln!(
            "  rule `{rule}`: its trigger changed, so {} pending instance(s) were dropped (its send history is kept)",
            summary::thousands(*dropped)
        );
    }
    for (rule, customers) in &r.removed {
        eprintln!(
            "  rule `{rule}` is gone: its state for {} customer(s) was dropped",
            summary::thousands(*customers)
        );
    }
}

/// What reading carries from line to line and file to file.
struct Reading<'a> {
    clock: CachedClock<'a>,
    max_future: i64,
    min_time: Option<i64>,
    progress: Progress,
    checkpoints: Checkpoints,
    /// Positions of the files read to their end.
    done: Vec<super::store::InputPos>,
}

enum Flow {
    Next,
    Stop,
}

fn read_file(
    a: &Args,
    lines: &mut Lines,
    decoder: &mut Decoder,
    engine: &mut Engine,
    out: &mut Outputs,
    cx: &mut Reading,
    mut store: Option<&mut Store>,
) -> Result<Flow, String> {
    let mut buf = Vec::new();
    let started = Instant::now();
    loop {
        let line = match lines.next(&mut buf)? {
            None => break,
            Some(l) => l,
        };
        let (name, lineno) = (lines.name.as_str(), lines.line);
        let raw = line.bytes();
        let read = read_line(
            line,
            decoder,
            &mut cx.clock,
            cx.max_future,
            cx.min_time,
            a.max_line_bytes,
        );
        let rejected = match read {
            Ok(Some(ev)) => match engine.push(ev, out) {
                Ok(()) => false,
                Err(late) => {
                    out.dead_letter(name, lineno, &late.to_string(), raw);
                    true
                }
            },
            Ok(None) => false,
            Err(reason) => {
                out.dead_letter(name, lineno, &reason, raw);
                true
            }
        };
        // `--max-errors 0` tolerates none: it stops at the first.
        if rejected && a.max_errors.is_some_and(|m| out.dead_count >= m.max(1)) {
            eprintln!(
                "trig run: stopping at {name}:{lineno} after {} rejected line(s) (--max-errors)",
                out.dead_count
            );
            return Ok(Flow::Stop);
        }
        cx.progress.tick(engine.stats().events, started);
        if out.failed.is_some() {
            return Ok(Flow::Stop);
        }
        if let Some(store) = store.as_deref_mut() {
            // Never inside a CSV record that spans lines: a resume must
            // start at a record boundary.
            if decoder.open_record().is_none() && cx.checkpoints.due() {
                let mut inputs = cx.done.clone();
                remember(&mut inputs, lines.position());
                let outputs = out.commit()?;
                store.write(&engine.checkpoint(), &RunMeta { inputs, outputs })?;
            }
        }
    }
    let open = decoder.open_record().map(str::to_string);
    if let Err(e) = decoder.finish() {
        let raw = open.unwrap_or_default();
        out.dead_letter(&lines.name, lines.line, &e.to_string(), raw.as_bytes());
    }
    Ok(Flow::Next)
}

/// The event a line carries (`None` for blank lines, CSV headers and the
/// start of a multi-line CSV record), or why it is rejected: one path for
/// runs on one thread and on many.
pub(super) fn read_line(
    line: Line,
    decoder: &mut Decoder,
    clock: &mut CachedClock,
    max_future: i64,
    min_time: Option<i64>,
    max_line_bytes: usize,
) -> Result<Option<Event>, String> {
    let text = match line {
        Line::TooLong { length, .. } => {
            return Err(format!(
                "line of {length} bytes is longer than --max-line-bytes ({max_line_bytes})"
            ))
        }
        Line::Text(t) => t,
    };
    match decoder.decode(text).map_err(|e| e.to_string())? {
        Some(ev) => accept(ev, clock, max_future, min_time).map(Some),
        None => Ok(None),
    }
}

/// Records a file's position, replacing an older one for the same file.
fn remember(positions: &mut Vec<super::store::InputPos>, p: Option<super::store::InputPos>) {
    let Some(p) = p else { return };
    positions.retain(|q| q.canonical != p.canonical);
    positions.push(p);
}

/// Counts lines (or watches the wall clock) between checkpoints.
struct Checkpoints {
    every: Every,
    lines: u64,
    last: Instant,
}

impl Checkpoints {
    fn new(every: Every) -> Checkpoints {
        Checkpoints {
            every,
            lines: 0,
            last: Instant::now(),
        }
    }

    fn due(&mut self) -> bool {
        self.lines += 1;
        let due = match self.every {
            Every::Events(n) => self.lines >= n,
            // The clock is read every 256 lines, not every line.
            Every::Wall(d) => self.lines % 256 == 0 && self.last.elapsed() >= d,
        };
        if due {
            self.lines = 0;
            self.last = Instant::now();
        }
        due
    }
}

/// The wall clock read at most once per `CLOCK_EVERY` events: reading it
/// for every event costs more than decoding some of them, and `max_future`
/// is at least a second.
const CLOCK_EVERY: u64 = 1024;

pub(super) struct CachedClock<'a> {
    clock: &'a dyn Clock,
    now: i64,
    reads: u64,
}

impl<'a> CachedClock<'a> {
    pub(super) fn new(clock: &'a dyn Clock) -> CachedClock<'a> {
        CachedClock {
            clock,
            now: 0,
            reads: 0,
        }
    }

    fn now_ms(&mut self) -> i64 {
        if self.reads % CLOCK_EVERY == 0 {
            self.now = self.clock.now_ms();
        }
        self.reads += 1;
        self.now
    }
}

/// An output file that is also an input would be emptied before it is
/// read.
fn refuse_overwriting_inputs(a: &Args, plan: &Plan) -> Result<(), String> {
    let report = plan.report.iter().flat_map(report::Paths::both);
    let outputs = [&a.out, &a.suppressed, &a.dead_letter]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .chain(report);
    let inputs: Vec<PathBuf> = a
        .events
        .iter()
        .filter(|n| *n != "-")
        .map(PathBuf::from)
        .chain(a.paths.iter().cloned())
        .chain(a.config.iter().cloned())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for out in outputs {
        let Ok(canon) = std::fs::canonicalize(out) else {
            continue;
        };
        let rules_in_folder = |i: &PathBuf| {
            i.is_dir() && canon.starts_with(i) && canon.extension().is_some_and(|e| e == "trig")
        };
        if inputs.iter().any(|i| canon == *i || rules_in_folder(i)) {
            return Err(format!(
                "{}: is also an input; writing it would destroy what is being read",
                out.display()
            ));
        }
    }
    Ok(())
}

/// Refuses events too far ahead of the wall clock, so one device with a
/// bad clock cannot push the watermark forward and fire every timer, and
/// events before `--min-time`.
fn accept(
    ev: Event,
    clock: &mut CachedClock,
    max_future: i64,
    min_time: Option<i64>,
) -> Result<Event, String> {
    if let Some(min) = min_time.filter(|m| ev.time < *m) {
        return Err(format!(
            "time {} is before --min-time {}",
            trig::runtime::time::format_rfc3339(ev.time),
            trig::runtime::time::format_rfc3339(min)
        ));
    }
    let limit = clock.now_ms().saturating_add(max_future);
    if ev.time > limit {
        return Err(format!(
            "time {} is more than max_future ({}) ahead of the clock",
            trig::runtime::time::format_rfc3339(ev.time),
            trig::runtime::time::format_duration(max_future)
        ));
    }
    Ok(ev)
}

/// A progress line on stderr for long inputs, only on a terminal.
struct Progress {
    on: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
            shown: false,
        }
    }

    fn tick(&mut self, events: u64, started: Instant) {
        if !self.on || events % 4096 != 0 || self.last.elapsed().as_millis() < 500 {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{} events read ({}/s)   ",
            summary::thousands(events),
            summary::thousands(rate as u64)
        );
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
