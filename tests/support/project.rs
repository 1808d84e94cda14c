//! The test harness shared by tests/run.rs and tests/state.rs: a
//! throw-away project folder and the `trig` binary run inside it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The smallest project: every test's `trig.toml` starts with it.
pub const PROJECT: &str = "[project]\ntimezone = \"UTC\"\n";

/// A fresh folder under the system temp dir, removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("trig-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    /// A folder with `trig.toml` (`PROJECT`) and `rules.trig`.
    pub fn project(name: &str, rules: &str) -> Dir {
        let d = Dir::new(name);
        d.write("trig.toml", PROJECT).write("rules.trig", rules);
        d
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        self
    }

    /// Lines, each followed by `\n`.
    pub fn lines<S: AsRef<str>>(&self, rel: &str, lines: &[S]) -> &Self {
        self.write(rel, joined(lines))
    }

    pub fn append(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.path(rel))
            .unwrap();
        f.write_all(bytes.as_ref()).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        let p = self.path(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_default()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trig"));
        c.args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    /// Runs `trig ARGS` in this folder.
    pub fn trig(&self, args: &[&str]) -> Run {
        self.trig_stdin(args, None)
    }

    /// Runs `trig ARGS` in this folder with `input` on stdin.
    pub fn trig_stdin(&self, args: &[&str], input: Option<&[u8]>) -> Run {
        let mut cmd = self.cmd(args);
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Written from a thread, so a child that fills its stdout before
        // reading all its input cannot deadlock the test.
        let writer = input.map(|bytes| {
            let mut stdin = child.stdin.take().unwrap();
            let bytes = bytes.to_vec();
            std::thread::spawn(move || stdin.write_all(&bytes))
        });
        let out = child.wait_with_output().unwrap();
        if let Some(w) = writer {
            w.join().unwrap().unwrap();
        }
        Run::from(out, args)
    }

    /// Every file under `rel` (recursively), with its bytes.
    pub fn files_under(&self, rel: &str) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(p: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for e in std::fs::read_dir(p).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path(rel), &mut out);
        out
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output, args: &[&str]) -> Run {
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("trig {args:?} was killed: {:?}", out.status));
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The actions on stdout.
    pub fn actions(&self) -> Vec<Value> {
        ndjson(&self.stdout)
    }

    /// Exit 0 and nothing that looks like a panic.
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "{self:?}");
        self.no_panic()
    }

    pub fn no_panic(&self) -> &Self {
        assert!(!self.stderr.contains("panicked"), "{self:?}");
        self
    }

    /// The `events: N read` count of the summary.
    pub fn events_read(&self) -> u64 {
        summary_number(&self.stderr, "events: ", " read")
            .unwrap_or_else(|| panic!("no `events: N read` in the summary\n{self:?}"))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cut = |s: &str| s.chars().take(4000).collect::<String>();
        write!(
            f,
            "trig {:?}\nexit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.code,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

/// A number in the summary line starting with `before`, up to `after`.
pub fn summary_number(text: &str, before: &str, after: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(before))?;
    let rest = &line[before.len()..];
    let n = &rest[..rest.find(after)?];
    n.replace(',', "").trim().parse().ok()
}

pub fn joined<S: AsRef<str>>(lines: &[S]) -> String {
    let mut text = String::new();
    for l in lines {
        text.push_str(l.as_ref());
        text.push('\n');
    }
    text
}

/// Every non-empty line parsed as one JSON object.
pub fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:.300}"));
            assert!(v.is_object(), "not an object: {l:.300}");
            v
        })
        .collect()
}
