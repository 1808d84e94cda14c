//! Micro-benchmarks (criterion): the decoders, the engine over pre-decoded
//! events, and the checker and compiler. `cargo bench --bench throughput`;
//! whole-process figures (reading files, output, peak memory) come from
//! `benches/e2e.sh`. The events are synthetic: a fixed pseudo-random
//! stream, the same on every run.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use trig::check::Workspace;
use trig::input::{Decoder, InputFormat};
use trig::runtime::{Collect, Engine, Event};

const SEED_RULES: &str = include_str!("rules/seed.trig");
const CONFIG: &str = "[project]\ntimezone = \"UTC\"\n";
const EVENTS: usize = 100_000;
const CUSTOMERS: u64 = 10_000;

fn compile(rules: &str) -> trig::compile::Program {
    let mut ws = Workspace::new();
    ws.load_config("trig.toml", CONFIG);
    ws.add_rules("bench.trig", rules);
    let checked = ws.check();
    assert!(
        checked.errors().next().is_none(),
        "bench rules do not check"
    );
    trig::compile::compile(&checked.program, &checked.config, &checked.sources)
}

/// `n` rules counting `ev.NNN` events, as benches/e2e.sh writes them.
fn count_rules(n: usize, names: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "rule r{i:04}:\n  when \"ev.{:03}\" 3 times within 1h\n  then send sms \"hi Reply STOP to opt out\"\n",
                (17 * i) % names
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A small deterministic generator (xorshift): shop-like lines, one every
/// 0–2 s, customers skewed towards low numbers.
struct Lines {
    state: u64,
    time: i64,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            state: 0x9E37_79B9_7F4A_7C15,
            time: 1_704_067_200_000,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn line(&mut self, names: &[&str]) -> String {
        let r = self.next_u64();
        self.time += (r % 2000) as i64;
        let customer = (r >> 16) % CUSTOMERS * ((r >> 40) % 4 + 1) / 4;
        let name = names[((r >> 24) % names.len() as u64) as usize];
        format!(
            r#"{{"customer":"c{customer}","event":"{name}","time":{},"id":"g-{}","props":{{"product_id":"p{}","url":"https://shop.example/p/{}"}}}}"#,
            self.time,
            r % 1_000_000_007,
            r % 997,
            r % 997
        )
    }

    fn many(names: &[&str]) -> Vec<String> {
        let mut g = Lines::new();
        (0..EVENTS).map(|_| g.line(names)).collect()
    }
}

const SHOP: &[&str] = &[
    "page.viewed",
    "page.viewed",
    "page.viewed",
    "cart.abandoned",
    "order.completed",
];

fn decode(lines: &[String]) -> Vec<Event> {
    let mut d = Decoder::new(InputFormat::Ndjson, None, "bench");
    lines
        .iter()
        .filter_map(|l| d.decode(l.as_bytes()).ok().flatten())
        .collect()
}

fn decoders(c: &mut Criterion) {
    let lines = Lines::many(SHOP);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.sample_size(10);
    g.bench_function("ndjson", |b| b.iter(|| decode(&lines).len()));
    let segment: Vec<String> = lines
        .iter()
        .take(20_000)
        .enumerate()
        .map(|(i, _)| {
            format!(
                r#"{{"type":"track","userId":"u{}","event":"Product Viewed","timestamp":"2024-01-01T00:00:{:02}.000Z","messageId":"m{i}","properties":{{"sku":"s{}"}}}}"#,
                i % 5000,
                i % 60,
                i % 97
            )
        })
        .collect();
    g.throughput(Throughput::Elements(segment.len() as u64));
    g.bench_function("segment", |b| {
        b.iter(|| {
            let mut d = Decoder::new(InputFormat::Segment, None, "bench");
            segment
                .iter()
                .filter_map(|l| d.decode(l.as_bytes()).ok().flatten())
                .count()
        })
    });
    g.finish();
}

/// Pushes pre-decoded events through an engine for `program`.
fn run(program: &Arc<trig::compile::Program>, events: &[Event]) -> usize {
    let mut engine = Engine::new(program.clone());
    let mut sink = Collect::default();
    for e in events {
        let _ = engine.push(e.clone(), &mut sink);
    }
    engine.finish(None, &mut sink);
    sink.actions.len()
}

fn engine(c: &mut Criterion) {
    let shop = decode(&Lines::many(SHOP));
    let names: Vec<String> = (0..200).map(|i| format!("ev.{i:03}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let many = decode(&Lines::many(&name_refs));
    let cases = [
        ("no rules", compile(""), &shop),
        ("seed rules", compile(SEED_RULES), &shop),
        ("1000 count rules", compile(&count_rules(1000, 200)), &many),
    ];
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    for (label, program, events) in cases {
        let program = Arc::new(program);
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function(label, |b| {
            b.iter_batched(|| (), |()| run(&program, events), BatchSize::PerIteration)
        });
    }
    g.finish();
}

fn compiler(c: &mut Criterion) {
    let rules = count_rules(1000, 200);
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1000));
    g.bench_function("check + compile 1000 rules", |b| {
        b.iter(|| compile(&rules).rules.len())
    });
    g.finish();
}

criterion_group!(benches, decoders, engine, compiler);
criterion_main!(benches);
