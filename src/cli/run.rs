//! `trig run`: rules over event streams, in event time, printing the
//! actions to send. The I/O around the pure engine: reading event files,
//! the wall clock (for `max_future`), output files, the summary.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use trig::input::{parse_map, parse_time_str, Decoder, InputFormat};
use trig::runtime::{Action, Engine, Event, Notice, Sink};

use super::summary;
use super::{project, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or folders (*.trig, compiled in memory), or one .trigc
    /// file; default: the current folder.
    paths: Vec<PathBuf>,
    /// The project file (default: trig.toml here or in a parent folder).
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
}

/// The wall clock, behind a trait so the rest stays testable.
pub trait Clock {
    fn now_ms(&self) -> i64;
}

struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// Action, notice and dead-letter writers.
struct Outputs {
    actions: Box<dyn Write>,
    suppressed: Option<Box<dyn Write>>,
    dead: Option<Box<dyn Write>>,
    dead_count: u64,
    shown_dead: u64,
    failed: Option<String>,
}

/// Dead letters printed to stderr when no `--dead-letter` file is given.
const SHOWN_DEAD_LETTERS: u64 = 5;

impl Outputs {
    fn write(w: &mut dyn Write, json: serde_json::Value, failed: &mut Option<String>) {
        if failed.is_some() {
            return;
        }
        let mut line = json.to_string();
        line.push('\n');
        if let Err(e) = w.write_all(line.as_bytes()) {
            *failed = Some(e.to_string());
        }
    }

    fn dead_letter(&mut self, file: &str, line: u64, reason: &str, raw: &[u8]) {
        self.dead_count += 1;
        let raw = String::from_utf8_lossy(raw);
        match &mut self.dead {
            Some(w) => {
                let json =
                    serde_json::json!({"file": file, "line": line, "reason": reason, "raw": raw});
                Outputs::write(w.as_mut(), json, &mut self.failed);
            }
            None if self.shown_dead < SHOWN_DEAD_LETTERS => {
                self.shown_dead += 1;
                eprintln!("{file}:{line}: skipped: {reason}");
            }
            None => {}
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        for w in [
            Some(&mut self.actions),
            self.suppressed.as_mut(),
            self.dead.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if let Err(e) = w.flush() {
                self.failed.get_or_insert(e.to_string());
            }
        }
        match &self.failed {
            Some(e) if !e.contains("Broken pipe") => Err(e.clone()),
            _ => Ok(()),
        }
    }
}

impl Sink for Outputs {
    fn action(&mut self, a: Action) {
        Outputs::write(self.actions.as_mut(), a.to_json(), &mut self.failed);
    }
    fn notice(&mut self, n: Notice) {
        if let Some(w) = &mut self.suppressed {
            Outputs::write(w.as_mut(), n.to_json(), &mut self.failed);
        }
    }
}

fn create(path: &Path) -> Result<Box<dyn Write>, String> {
    File::create(path)
        .map(|f| Box::new(BufWriter::new(f)) as Box<dyn Write>)
        .map_err(|e| format!("{}: {e}", path.display()))
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

fn run_inner(a: Args, clock: &dyn Clock) -> Result<i32, String> {
    let format: InputFormat = a.input.parse()?;
    let map = a
        .map
        .as_deref()
        .map(parse_map)
        .transpose()
        .map_err(|e| format!("--map: {e}"))?;
    let until = a
        .until
        .as_deref()
        .map(|u| parse_time_str(u).map_err(|e| format!("--until: {e}")))
        .transpose()?;
    // Every event file must open before anything runs: a typo in the
    // second file should not leave half a run's actions behind.
    for name in a.events.iter().filter(|n| *n != "-") {
        File::open(name).map_err(|e| format!("{name}: {e}"))?;
    }
    refuse_overwriting_inputs(&a)?;
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
    let max_future = program.settings.max_future_ms;
    let mut engine = Engine::new(Arc::new(program));
    if let Some(c) = &a.trace {
        engine.trace_customer(c);
    }
    let actions: Box<dyn Write> = match &a.out {
        Some(p) => create(p)?,
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let mut out = Outputs {
        actions,
        suppressed: a.suppressed.as_deref().map(create).transpose()?,
        dead: a.dead_letter.as_deref().map(create).transpose()?,
        dead_count: 0,
        shown_dead: 0,
        failed: None,
    };
    let started = Instant::now();
    let mut cached = CachedClock {
        clock,
        now: 0,
        reads: 0,
    };
    let mut progress = Progress::new();
    let mut aborted = false;
    'files: for name in &a.events {
        let reader: Box<dyn Read> = if name == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(File::open(name).map_err(|e| format!("{name}: {e}"))?)
        };
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let mut decoder = Decoder::new(format, map.clone(), name);
        let mut buf = Vec::new();
        let mut lineno = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            lineno += 1;
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let result = decoder
                .decode(line)
                .map_err(|e| e.to_string())
                .and_then(|ev| match ev {
                    Some(ev) => accept(ev, &mut cached, max_future).map(Some),
                    None => Ok(None),
                });
            let rejected = match result {
                Ok(Some(ev)) => match engine.push(ev, &mut out) {
                    Ok(()) => false,
                    Err(late) => {
                        out.dead_letter(name, lineno, &late.to_string(), line);
                        true
                    }
                },
                Ok(None) => false,
                Err(reason) => {
                    out.dead_letter(name, lineno, &reason, line);
                    true
                }
            };
            // `--max-errors 0` tolerates none: it stops at the first.
            if rejected && a.max_errors.is_some_and(|m| out.dead_count >= m.max(1)) {
                eprintln!(
                    "trig run: stopping at {name}:{lineno} after {} rejected line(s) (--max-errors)",
                    out.dead_count
                );
                aborted = true;
                break 'files;
            }
            progress.tick(engine.stats().events, started);
            if out.failed.is_some() {
                break 'files;
            }
        }
        let open = decoder.open_record().map(str::to_string);
        if let Err(e) = decoder.finish() {
            let raw = open.unwrap_or_default();
            out.dead_letter(name, lineno, &e.to_string(), raw.as_bytes());
        }
    }
    progress.clear();
    // A stopped run ends where its input stopped: moving time on to
    // `--until` would fire timers that the unread events might cancel.
    engine.finish(if aborted { None } else { until }, &mut out);
    out.flush()
        .map_err(|e| format!("writing the output: {e}"))?;
    if out.failed.is_some() {
        // The reader went away (`| head`): the rest of the actions were
        // not delivered, so the run did not succeed.
        eprintln!("trig run: the output was closed early; stopped");
        return Ok(EXIT_PROBLEMS);
    }
    let elapsed = started.elapsed();
    for line in engine.take_trace() {
        eprintln!("{line}");
    }
    if let Some(c) = &a.trace {
        summary::untouched(&engine, c);
    }
    summary::print(&engine, out.dead_count, a.dead_letter.is_some(), elapsed);
    Ok(if aborted { EXIT_PROBLEMS } else { EXIT_OK })
}

/// The wall clock read at most once per `CLOCK_EVERY` events: reading it
/// for every event costs more than decoding some of them, and `max_future`
/// is at least a second.
const CLOCK_EVERY: u64 = 1024;

struct CachedClock<'a> {
    clock: &'a dyn Clock,
    now: i64,
    reads: u64,
}

impl CachedClock<'_> {
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
fn refuse_overwriting_inputs(a: &Args) -> Result<(), String> {
    let outputs = [&a.out, &a.suppressed, &a.dead_letter];
    let inputs: Vec<PathBuf> = a
        .events
        .iter()
        .filter(|n| *n != "-")
        .map(PathBuf::from)
        .chain(a.paths.iter().cloned())
        .chain(a.config.iter().cloned())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for out in outputs.into_iter().flatten() {
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
/// bad clock cannot push the watermark forward and fire every timer.
fn accept(ev: Event, clock: &mut CachedClock, max_future: i64) -> Result<Event, String> {
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
