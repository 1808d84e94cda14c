//! `trig run --threads N`: customers partitioned across threads give the
//! same actions, suppressed sends, rejected lines and summary counts as one
//! thread (as sets: only the order of lines differs), on streams built to
//! cross every thread boundary: out-of-order events within the lateness,
//! late ones, repeats, broken lines, profile updates, quiet hours, caps,
//! holdouts and goals (the example project's rules).

#[path = "support/project.rs"]
mod project;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use project::Dir;

/// A deterministic stream over `customers` customers: shop events with
/// the example schema's props, ~1 s apart, with profile updates, some
/// events moved up to 50 s late (within the default 1 m lateness), some
/// far too late, repeats of earlier ids, and broken lines.
fn stream(events: usize, customers: u64, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let start = 1_704_067_200_000i64; // 2024-01-01T00:00:00Z
    let mut lines = Vec::with_capacity(events);
    let mut ids = Vec::new();
    for i in 0..events {
        let c = next(customers);
        let mut t = start + i as i64 * 1_000 + next(1_000) as i64;
        let roll = next(100);
        if roll < 5 {
            t -= 50_000; // out of order, still within the lateness
        } else if roll < 6 {
            t -= 3_600_000; // late
        }
        let id = format!("e{i}");
        let line = match next(20) {
            0 => format!(
                r#"{{"customer":"c{c}","event":"identify","time":{t},"id":"{id}","props":{{"phone":"+3460000{c:04}","sms_opt_in":true,"email":"c{c}@example.com","email_opt_in":{},"whatsapp_opt_in":{},"locale":"es_ES","timezone":"{}"}}}}"#,
                c % 2 == 0,
                c % 3 == 0,
                ["Europe/Madrid", "America/New_York", "Asia/Tokyo"][(c % 3) as usize]
            ),
            1..=3 => format!(
                r#"{{"customer":"c{c}","event":"cart.abandoned","time":{t},"id":"{id}","props":{{"cart_id":"k{}","value":{},"url":"https://shop.example/c/{i}"}}}}"#,
                c * 10 + next(3),
                next(60)
            ),
            4 => format!(
                r#"{{"customer":"c{c}","event":"order.completed","time":{t},"id":"{id}","props":{{"cart_id":"k{}","value":30}}}}"#,
                c * 10 + next(3)
            ),
            _ => format!(
                r#"{{"customer":"c{c}","event":"page.viewed","time":{t},"id":"{id}","props":{{"path":"/products/p{0}","product_id":"p{0}","product_name":"Product {0}","url":"https://shop.example/products/p{0}"}}}}"#,
                next(5)
            ),
        };
        ids.push(line.clone());
        lines.push(line);
        match next(200) {
            0 => lines.push(r#"{"customer": "broken"#.to_string()),
            1 => {
                // A repeat of an earlier event (the same id, customer and time).
                let j = next(ids.len() as u64) as usize;
                lines.push(ids[j].clone());
            }
            _ => {}
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// What one run wrote: its outputs as sorted lines, and the summary with
/// the timing taken out.
#[derive(Debug, PartialEq)]
struct Outcome {
    actions: Vec<String>,
    suppressed: Vec<String>,
    dead: Vec<String>,
    summary: Vec<String>,
}

fn run(dir: &Dir, rules: &[&Path], events: &[&str], threads: usize, extra: &[&str]) -> Outcome {
    let tag = format!("t{threads}");
    let (out, sup, dead) = (
        dir.path(&format!("{tag}.actions")),
        dir.path(&format!("{tag}.suppressed")),
        dir.path(&format!("{tag}.dead")),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trig"));
    cmd.arg("run")
        .arg("--config")
        .arg(root.join("examples/trig.toml"));
    cmd.args(rules.iter().map(|r| root.join(r)));
    for e in events {
        cmd.arg("--events").arg(dir.path(e));
    }
    cmd.arg("--out").arg(&out).arg("--suppressed").arg(&sup);
    cmd.arg("--dead-letter").arg(&dead);
    cmd.args(["--threads", &threads.to_string()]).args(extra);
    let o = cmd.output().expect("run trig");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "--threads {threads}: {stderr}");
    let sorted = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let summary = stderr
        .lines()
        .map(|l| match l.find("; ") {
            Some(i) if l.starts_with("events:") => l[..i].to_string(),
            _ => l.to_string(),
        })
        .collect();
    Outcome {
        actions: sorted(&out),
        suppressed: sorted(&sup),
        dead: sorted(&dead),
        summary,
    }
}

fn same_on_every_thread_count(dir: &Dir, rules: &[&Path], events: &[&str], extra: &[&str]) {
    let one = run(dir, rules, events, 1, extra);
    assert!(!one.actions.is_empty(), "the stream fires nothing");
    assert!(!one.suppressed.is_empty(), "the stream suppresses nothing");
    for threads in [2, 3, 4] {
        let many = run(dir, rules, events, threads, extra);
        assert_eq!(one.actions.len(), many.actions.len(), "--threads {threads}");
        assert!(one == many, "--threads {threads} differs from one thread");
    }
}

#[test]
fn threads_give_the_example_rules_the_same_outputs() {
    let dir = Dir::new("threads-examples");
    // About 40 blocks of input, over few enough customers that most have
    // state that spans many blocks.
    dir.write("a.ndjson", stream(60_000, 400, 1));
    let rules = [Path::new("examples")];
    let one = run(&dir, &rules, &["a.ndjson"], 1, &[]);
    let dead: BTreeMap<&str, usize> = one.dead.iter().fold(BTreeMap::new(), |mut m, l| {
        let kind = if l.contains("late event") {
            "late"
        } else {
            "broken"
        };
        *m.entry(kind).or_default() += 1;
        m
    });
    assert!(dead["late"] > 100 && dead["broken"] > 100, "{dead:?}");
    assert!(
        one.summary
            .iter()
            .any(|l| l.contains("duplicate(s) dropped")),
        "{:?}",
        one.summary
    );
    same_on_every_thread_count(&dir, &rules, &["a.ndjson"], &["--until", "2024-02-01"]);
}

#[test]
fn threads_read_several_files_as_one_stream() {
    let dir = Dir::new("threads-files");
    let s = stream(20_000, 3_000, 7);
    let lines: Vec<&str> = s.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    dir.write("a.ndjson", a.join("\n") + "\n");
    // The second file's first line starts with a byte-order mark.
    dir.write("b.ndjson", format!("\u{feff}{}\n", b.join("\n")));
    let rules = [Path::new("benches/rules/seed.trig")];
    // Profile updates are longer than 230 bytes: rejected, unread.
    let too_long = ["--max-line-bytes", "230"];
    let one = run(&dir, &rules, &["a.ndjson", "b.ndjson"], 1, &too_long);
    assert!(one
        .dead
        .iter()
        .any(|l| l.contains("longer than --max-line-bytes")));
    same_on_every_thread_count(&dir, &rules, &["a.ndjson", "b.ndjson"], &too_long);
}

#[test]
fn threads_refuse_what_needs_one_thread() {
    let dir = Dir::new("threads-refuse");
    dir.write("a.csv", "customer,event,time\nc1,x,2024-01-01T00:00:00Z\n");
    dir.write("a.ndjson", "");
    let refused = |args: &[&str], expect: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_trig"))
            .current_dir(&dir.0)
            .arg("run")
            .arg("--config")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/trig.toml"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/rules/seed.trig"))
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    };
    refused(
        &["--events", "a.csv", "--threads", "2"],
        "CSV input (a.csv)",
    );
    refused(
        &["--events", "a.ndjson", "--threads", "2", "--state", "st"],
        "cannot be combined with --state",
    );
    refused(
        &[
            "--events",
            "a.ndjson",
            "--threads",
            "2",
            "--max-errors",
            "3",
        ],
        "cannot be combined with --max-errors",
    );
    refused(&["--events", "a.ndjson", "--threads", "0"], "1 or more");
}

/// A pipe named as a file (`/dev/stdin`, `<(zcat …)`, a FIFO) is read
/// once as a stream, on one thread or many; too many threads are refused.
#[test]
fn pipes_named_as_files_are_read_as_streams() {
    use std::io::Write;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let events = std::fs::read(root.join("examples/data/cdnow_purchases.ndjson")).unwrap();
    // `trig run` of the CDNOW example, from the repository root.
    let cdnow = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trig"));
        c.current_dir(root).args([
            "run",
            "--config",
            "examples/cdnow/trig.toml",
            "examples/cdnow/",
        ]);
        c
    };
    let run = |threads: &str| {
        let mut child = cdnow()
            .args(["--events", "/dev/stdin", "--threads", threads])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = events.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&bytes));
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut lines: Vec<String> = String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    let one = run("1");
    assert_eq!(one.len(), 2_797);
    assert_eq!(one, run("2"));
    let o = cdnow()
        .args([
            "--events",
            "examples/data/cdnow_purchases.ndjson",
            "--threads",
            "100000",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most 256"));
}
