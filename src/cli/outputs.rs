//! Where `trig run` writes: actions (stdout or `--out`), suppressed and
//! deferred sends, rejected input lines. File outputs know their length,
//! so a checkpoint can record it and a resumed run can cut a file back to
//! it (outputs commit with the checkpoint: exactly once).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use trig::report::Figures;
use trig::runtime::{Action, Notice, Sink};

use super::store::OutputPos;

/// One output stream.
pub enum Out {
    /// Stdout, a device or a pipe: written, never cut back.
    Stream(BufWriter<Box<dyn Write + Send>>),
    File {
        w: BufWriter<File>,
        canonical: PathBuf,
    },
}

impl Out {
    /// Opens `path` for writing. With a checkpointed position for the same
    /// file, keeps what was committed and cuts off the rest (a torn line
    /// or actions the replay will write again); otherwise starts empty.
    pub fn file(path: &Path, resume: &[OutputPos]) -> Result<Out, String> {
        let shown = |e: std::io::Error| format!("{}: {e}", path.display());
        let regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
        if !regular {
            // `/dev/null`, a FIFO: nothing to cut back or sync.
            let f = OpenOptions::new().write(true).open(path).map_err(shown)?;
            return Ok(Out::Stream(BufWriter::new(Box::new(f))));
        }
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(path)
            .map_err(shown)?;
        let canonical = std::fs::canonicalize(path).map_err(shown)?;
        // Never longer than the file is now (it may have been moved away
        // or truncated): padding would put NUL bytes before the next line.
        let len = f.metadata().map_err(shown)?.len();
        let keep = resume
            .iter()
            .find(|o| Path::new(&o.canonical) == canonical)
            .map_or(0, |o| o.offset.min(len));
        f.set_len(keep).map_err(shown)?;
        f.seek(SeekFrom::Start(keep)).map_err(shown)?;
        Ok(Out::File {
            w: BufWriter::new(f),
            canonical,
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Out::Stream(w) => w,
            Out::File { w, .. } => w,
        }
    }

    /// Flushes, and for files forces the bytes to disk; returns the
    /// committed position of a file.
    fn commit(&mut self) -> std::io::Result<Option<OutputPos>> {
        match self {
            Out::Stream(w) => w.flush().map(|_| None),
            Out::File { w, canonical } => {
                w.flush()?;
                let f = w.get_mut();
                f.sync_data()?;
                let offset = f.stream_position()?;
                Ok(Some(OutputPos {
                    canonical: canonical.to_string_lossy().into_owned(),
                    offset,
                }))
            }
        }
    }
}

/// Rejected lines printed to stderr when there is no `--dead-letter` file.
const SHOWN_DEAD_LETTERS: u64 = 5;

pub struct Outputs {
    pub actions: Out,
    pub suppressed: Option<Out>,
    pub dead: Option<Out>,
    pub dead_count: u64,
    shown_dead: u64,
    /// The first write error; writing stops after it.
    pub failed: Option<String>,
    /// The action line being written, reused from action to action.
    line: Vec<u8>,
    /// The backtest report's figures (`--report`), fed every action and
    /// notice, whether or not `--suppressed` writes the notices.
    pub report: Option<Figures>,
}

impl Outputs {
    pub fn new(actions: Out, suppressed: Option<Out>, dead: Option<Out>) -> Outputs {
        Outputs {
            actions,
            suppressed,
            dead,
            dead_count: 0,
            shown_dead: 0,
            failed: None,
            line: Vec::new(),
            report: None,
        }
    }

    fn write(out: &mut Out, json: serde_json::Value, failed: &mut Option<String>) {
        let mut line = json.to_string().into_bytes();
        line.push(b'\n');
        Outputs::write_line(out, &line, failed);
    }

    fn write_line(out: &mut Out, line: &[u8], failed: &mut Option<String>) {
        if failed.is_some() {
            return;
        }
        if let Err(e) = out.writer().write_all(line) {
            *failed = Some(e.to_string());
        }
    }

    pub fn dead_letter(&mut self, file: &str, line: u64, reason: &str, raw: &[u8]) {
        self.dead_count += 1;
        let raw = String::from_utf8_lossy(raw);
        match &mut self.dead {
            Some(w) => {
                let json =
                    serde_json::json!({"file": file, "line": line, "reason": reason, "raw": raw});
                Outputs::write(w, json, &mut self.failed);
            }
            None if self.shown_dead < SHOWN_DEAD_LETTERS => {
                self.shown_dead += 1;
                eprintln!("{file}:{line}: skipped: {reason}");
            }
            None => {}
        }
    }

    /// Writes action and notice lines already serialized (by a thread of a
    /// partitioned run); notices only when `--suppressed` asked for them.
    pub fn write_raw(&mut self, actions: &[u8], notices: &[u8]) {
        Outputs::write_line(&mut self.actions, actions, &mut self.failed);
        if let Some(w) = &mut self.suppressed {
            Outputs::write_line(w, notices, &mut self.failed);
        }
    }

    /// Flushes every output (and syncs files); the committed positions of
    /// the files, for a checkpoint.
    pub fn commit(&mut self) -> Result<Vec<OutputPos>, String> {
        let mut positions = Vec::new();
        for w in [
            Some(&mut self.actions),
            self.suppressed.as_mut(),
            self.dead.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            match w.commit() {
                Ok(Some(p)) => positions.push(p),
                Ok(None) => {}
                Err(e) => {
                    self.failed.get_or_insert(e.to_string());
                }
            }
        }
        match &self.failed {
            Some(e) if !e.contains("Broken pipe") => Err(e.clone()),
            _ => Ok(positions),
        }
    }
}

impl Sink for Outputs {
    fn action(&mut self, a: Action) {
        if let Some(f) = &mut self.report {
            f.action(&a);
        }
        self.line.clear();
        a.write_json(&mut self.line);
        self.line.push(b'\n');
        Outputs::write_line(&mut self.actions, &self.line, &mut self.failed);
    }
    fn notice(&mut self, n: Notice) {
        if let Some(f) = &mut self.report {
            f.notice(&n);
        }
        if let Some(w) = &mut self.suppressed {
            Outputs::write(w, n.to_json(), &mut self.failed);
        }
    }
}
