//! `trig gen`: a seeded generator of **synthetic** events, for benchmarks
//! and load tests. Nothing it writes is real data: every customer, product,
//! cart and value is made up by a pseudo-random number generator.
//!
//! The output is generic NDJSON (the input `trig run` reads), one event a
//! line, sorted by time (non-decreasing):
//!
//! ```text
//! {"customer":"c8812","event":"page.viewed","time":"2024-01-01T00:00:01.250Z","id":"g-1","props":{"product_id":"p17","url":"https://shop.example/products/p17"}}
//! ```
//!
//! The same arguments give the same bytes on every platform: the generator
//! is SplitMix64, floating point uses only IEEE-exact operations (`+ - * /`;
//! the logarithm is computed here from those, not by the platform's libm),
//! and ties are broken by creation order. Ids are `g-1`, `g-2`… in output
//! order.
//!
//! # The shape of the stream
//!
//! - **Customers** `c1`…`cN` (`--customers`). Their activity follows a
//!   Zipf law: the customer of rank k gets a share of sessions proportional
//!   to 1/(k + q), with q = N/1000 (at least 1), so a few customers are very
//!   active and most are rare; in a short stream many never appear. Ranks
//!   are shuffled over the ids, so `c1` is not the busiest.
//! - **Sessions.** Events come in sessions: a customer arrives, does
//!   several things 2 s + about 25 s apart (exponential), and leaves. Session
//!   starts form a Poisson process thinned by a daily cycle (UTC hours; the
//!   quietest night hour has an eighth of the evening peak). The rate is
//!   about 5 events per customer per day, so the span grows with
//!   `--events / --customers`: 1 M events over 100 k customers cover about
//!   two days.
//! - **`shop`** (the default). A session is 1 + Geometric(3/4) page views
//!   (`page.viewed`, props `product_id`, `url`; products `p1`…`p5000`,
//!   Zipf with q = 10). It then ends in one of:
//!   - nothing (72 % of sessions): just browsing;
//!   - a direct purchase (8 %): `order.completed` (props `cart_id`, `value`)
//!     30 s to 3 min after the last view;
//!   - an abandoned cart (20 %): `cart.abandoned` (props `cart_id`, `value`,
//!     `url`) 30 min + about 5 min after the last view, as shops emit it.
//!     For most customers the cart is bought later with probability 70 %:
//!     an `order.completed` for the same `cart_id` about 3 h later
//!     (exponential: about half within 2 h, cancelling a
//!     `for 2h and not order.completed` wait, the rest later, a few more
//!     than a day later). A small
//!     share of customers (5 %, fixed per customer and seed) never buy an
//!     abandoned cart, which leaves long-pending waits.
//!
//!   Values are the product's price times a quantity of 1 to 3, in dollars
//!   with cents (prices $4.99 to $499.99, most under $30).
//! - **`many-events`**. For rule-count scaling: sessions of
//!   1 + Geometric(4/5) events whose names are drawn from `--event-names`
//!   distinct names `ev.000`, `ev.001`… (Zipf with q = 1, so `ev.000` is
//!   the most frequent), each with one prop `n`, an integer 0 to 99.
//!
//! The stream stops after exactly `--events` lines; sessions in progress at
//! that point are cut short and scheduled purchases are dropped.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use super::{EXIT_OK, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    /// How many events (lines) to write.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// How many distinct customers may appear (ids c1…cN).
    #[arg(long, default_value_t = 100_000)]
    customers: u32,
    /// The seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The time of the first possible event (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    start: String,
    /// What the events look like: shop (page views, carts, orders) or
    /// many-events (many distinct event names, for rule-count scaling).
    #[arg(long, value_enum, default_value_t = Scenario::Shop)]
    scenario: Scenario,
    /// For many-events: how many distinct event names (default 200).
    #[arg(long)]
    event_names: Option<u32>,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Scenario {
    Shop,
    ManyEvents,
}

/// Customer ids above this are refused: the Zipf table takes 12 bytes each.
const MAX_CUSTOMERS: u32 = 50_000_000;
const MAX_EVENT_NAMES: u32 = 1_000_000;

pub fn run(a: Args) -> i32 {
    let start = match parse_start(&a.start) {
        Some(ms) => ms,
        None => {
            eprintln!(
                "trig gen: --start `{}` is not an RFC 3339 time (2024-01-01T00:00:00Z) or a date (2024-01-01) between 1900 and 9000",
                a.start
            );
            return EXIT_USAGE;
        }
    };
    if a.customers == 0 || a.customers > MAX_CUSTOMERS {
        eprintln!("trig gen: --customers must be between 1 and {MAX_CUSTOMERS}");
        return EXIT_USAGE;
    }
    let event_names = match (a.scenario, a.event_names) {
        (Scenario::Shop, Some(_)) => {
            eprintln!("trig gen: --event-names only applies to --scenario many-events");
            return EXIT_USAGE;
        }
        (Scenario::Shop, None) => 0,
        (Scenario::ManyEvents, n) => {
            let n = n.unwrap_or(200);
            if n == 0 || n > MAX_EVENT_NAMES {
                eprintln!("trig gen: --event-names must be between 1 and {MAX_EVENT_NAMES}");
                return EXIT_USAGE;
            }
            n
        }
    };
    let config = Config {
        events: a.events,
        customers: a.customers,
        seed: a.seed,
        start,
        scenario: a.scenario,
        event_names,
    };
    let result = match &a.output {
        Some(path) => match File::create(path) {
            Ok(f) => generate(&config, BufWriter::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("trig gen: cannot create {}: {e}", path.display());
                return EXIT_USAGE;
            }
        },
        None => generate(
            &config,
            BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        ),
    };
    match result {
        Ok(()) => EXIT_OK,
        // `trig gen | head`: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("trig gen: {e}");
            EXIT_USAGE
        }
        Err(e) => {
            let target = a
                .output
                .as_ref()
                .map_or("standard output".to_string(), |p| p.display().to_string());
            eprintln!("trig gen: cannot write to {target}: {e}");
            EXIT_USAGE
        }
    }
}

/// `--start` in milliseconds since the epoch.
fn parse_start(text: &str) -> Option<i64> {
    let ms = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        t.timestamp_millis()
    } else {
        let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis()
    };
    // Keeps every time the stream can reach within four-digit years.
    const Y1900: i64 = -2_208_988_800_000;
    const Y9000: i64 = 221_845_392_000_000;
    (Y1900..=Y9000).contains(&ms).then_some(ms)
}

/// What to generate (the validated arguments).
pub struct Config {
    pub events: u64,
    pub customers: u32,
    pub seed: u64,
    /// Milliseconds since the Unix epoch.
    pub start: i64,
    pub scenario: Scenario,
    /// Only for many-events.
    pub event_names: u32,
}

// ---------------------------------------------------------------------------
// Randomness that gives the same numbers everywhere.

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast, and good enough
/// for simulation.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in 0..n (multiply-shift; the bias is below 2^-32 for the
    /// sizes used here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [0, 1), a multiple of 2^-53.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `percent`/100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Exponential with the given mean, rounded down to a whole number.
    fn exponential(&mut self, mean: f64) -> i64 {
        // In (0, 1], so the logarithm is finite.
        let u = ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        (-ln(u) * mean) as i64
    }

    /// How many successes before the first failure, each with probability
    /// `p`, at most `cap`.
    fn geometric(&mut self, p: f64, cap: u32) -> u32 {
        let mut k = 0;
        while k < cap && self.unit() < p {
            k += 1;
        }
        k
    }
}

/// The SplitMix64 output function, also a good 64-bit hash.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The natural logarithm of a positive normal number, from `+ - * /` only,
/// so that it gives the same bits on every platform (libm's `ln` may not).
/// Accurate to about 1e-15 relative.
fn ln(x: f64) -> f64 {
    debug_assert!(x.is_normal() && x > 0.0);
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    // The mantissa as a number in [1, 2), then in [sqrt(1/2), sqrt(2)).
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        exponent += 1;
    }
    // ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + …), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    exponent as f64 * std::f64::consts::LN_2 + 2.0 * sum
}

/// Draws ranks 0..n with probability proportional to 1/(rank + 1 + q):
/// a Zipf–Mandelbrot law with exponent 1, by binary search in its
/// cumulative table (summed in a fixed order, so identical everywhere).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: u32, q: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|k| {
                total += 1.0 / (f64::from(k) + 1.0 + q);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> u32 {
        let total = *self.cumulative.last().expect("a Zipf table is never empty");
        let target = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c <= target);
        i.min(self.cumulative.len() - 1) as u32
    }
}

// ---------------------------------------------------------------------------
// The simulation.

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// 9999-12-01T00:00:00Z: no session starts later (the latest event of a
/// session comes days after its start, at most), so every time has a
/// four-digit year.
const LAST_TIME: i64 = 253_399_622_400_000;

/// Mean events per customer per day (sets the speed of time).
const EVENTS_PER_CUSTOMER_DAY: f64 = 5.0;

/// Relative activity per UTC hour, in percent of the evening peak.
const HOURLY: [u64; 24] = [
    35, 22, 15, 12, 12, 15, 25, 40, 55, 65, 70, 75, 80, 78, 75, 75, 78, 85, 95, 100, 100, 90, 70,
    50,
];

const PRODUCTS: u32 = 5000;
/// Share of customers (percent) who never buy an abandoned cart.
const NEVER_BUY_PERCENT: u64 = 5;

/// One event waiting to be written, at `time`; `seq` orders equal times
/// by creation.
struct Pending {
    time: i64,
    seq: u64,
    customer: u32,
    kind: Kind,
}

enum Kind {
    View { product: u32 },
    Abandon { cart: u64, cents: u64 },
    Order { cart: u64, cents: u64 },
    Named { name: u32, n: u32 },
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed, so that `BinaryHeap` pops the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

struct Sim<'c> {
    config: &'c Config,
    rng: Rng,
    customers: Zipf,
    /// Rank → customer id number - 1 (a shuffle, so that c1 is not the busiest).
    customer_of_rank: Vec<u32>,
    products: Zipf,
    names: Option<Zipf>,
    queue: BinaryHeap<Pending>,
    seq: u64,
    next_cart: u64,
}

impl<'c> Sim<'c> {
    fn new(config: &'c Config) -> Sim<'c> {
        let mut rng = Rng::new(config.seed);
        let n = config.customers;
        let customers = Zipf::new(n, f64::from((n / 1000).max(1)));
        let mut customer_of_rank: Vec<u32> = (0..n).collect();
        for i in (1..customer_of_rank.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            customer_of_rank.swap(i, j);
        }
        let names =
            (config.scenario == Scenario::ManyEvents).then(|| Zipf::new(config.event_names, 1.0));
        Sim {
            config,
            rng,
            customers,
            customer_of_rank,
            products: Zipf::new(PRODUCTS, 10.0),
            names,
            queue: BinaryHeap::new(),
            seq: 0,
            next_cart: 1,
        }
    }

    fn push(&mut self, time: i64, customer: u32, kind: Kind) {
        self.seq += 1;
        self.queue.push(Pending {
            time,
            seq: self.seq,
            customer,
            kind,
        });
    }

    /// The mean number of events in a session of this scenario.
    fn mean_session_events(&self) -> f64 {
        match self.config.scenario {
            // Views 1 + 3; then 8 % order, 20 % abandon (+ 95 % × 70 % order).
            Scenario::Shop => 4.0 + 0.08 + 0.20 * (1.0 + 0.95 * 0.70),
            Scenario::ManyEvents => 5.0,
        }
    }

    /// The mean gap between candidate session starts, in milliseconds,
    /// before thinning by the hour of day.
    fn mean_candidate_gap(&self) -> f64 {
        let mean_accept = HOURLY.iter().sum::<u64>() as f64 / (24.0 * 100.0);
        let events_per_ms = f64::from(self.config.customers) * EVENTS_PER_CUSTOMER_DAY / DAY as f64;
        self.mean_session_events() * mean_accept / events_per_ms
    }

    /// Whether this customer never buys an abandoned cart (fixed per seed).
    fn never_buys(&self, customer: u32) -> bool {
        mix64(self.config.seed ^ mix64(u64::from(customer) + 1)) % 100 < NEVER_BUY_PERCENT
    }

    /// Starts a session at `t`: queues all its events.
    fn start_session(&mut self, t: i64) {
        let rank = self.customers.sample(&mut self.rng);
        let customer = self.customer_of_rank[rank as usize];
        match self.config.scenario {
            Scenario::Shop => self.shop_session(t, customer),
            Scenario::ManyEvents => self.named_session(t, customer),
        }
    }

    fn step(&mut self) -> i64 {
        2 * SECOND + self.rng.exponential(25_000.0)
    }

    fn shop_session(&mut self, mut t: i64, customer: u32) {
        let views = 1 + self.rng.geometric(0.75, 60);
        let mut product = 0;
        for i in 0..views {
            if i > 0 {
                t += self.step();
            }
            product = self.products.sample(&mut self.rng);
            self.push(t, customer, Kind::View { product });
        }
        let outcome = self.rng.below(100);
        if outcome < 72 {
            return;
        }
        let cart = self.next_cart;
        self.next_cart += 1;
        let quantity = match self.rng.below(10) {
            0..=6 => 1,
            7..=8 => 2,
            _ => 3,
        };
        let cents = price_cents(self.config.seed, product) * quantity;
        if outcome < 80 {
            t += 30 * SECOND + self.rng.below(150_000) as i64;
            self.push(t, customer, Kind::Order { cart, cents });
            return;
        }
        t += 30 * MINUTE + self.rng.exponential(5.0 * MINUTE as f64);
        self.push(t, customer, Kind::Abandon { cart, cents });
        if !self.never_buys(customer) && self.rng.percent(70) {
            t += MINUTE + self.rng.exponential(3.0 * HOUR as f64);
            self.push(t, customer, Kind::Order { cart, cents });
        }
    }

    fn named_session(&mut self, mut t: i64, customer: u32) {
        let count = 1 + self.rng.geometric(0.8, 80);
        for i in 0..count {
            if i > 0 {
                t += self.step();
            }
            let names = self.names.as_ref().expect("many-events has names");
            let name = names.sample(&mut self.rng);
            let n = self.rng.below(100) as u32;
            self.push(t, customer, Kind::Named { name, n });
        }
    }
}

/// A product's price in cents: most are cheap, a few expensive.
fn price_cents(seed: u64, product: u32) -> u64 {
    let h = mix64(seed.rotate_left(17) ^ mix64(u64::from(product) + 0x5EED));
    let dollars = match h % 10 {
        0..=5 => 4 + (h >> 8) % 26,  // $4.99 – $29.99
        6..=8 => 30 + (h >> 8) % 70, // $30.99 – $99.99
        _ => 100 + (h >> 8) % 400,   // $100.99 – $499.99
    };
    dollars * 100 + 99
}

/// Writes the stream described by `config` to `out` and flushes it.
pub fn generate<W: Write>(config: &Config, mut out: W) -> io::Result<()> {
    let mut sim = Sim::new(config);
    let gap = sim.mean_candidate_gap();
    let mut line = Line::default();
    let mut next_session = config.start;
    let mut written = 0u64;
    while written < config.events {
        let due = sim.queue.peek().is_some_and(|p| p.time < next_session);
        if !due {
            // Thinning: a candidate start becomes a session with the
            // probability of its hour of day.
            if next_session > LAST_TIME {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the stream passed the year 9999 after {written} events; use more --customers or fewer --events"
                    ),
                ));
            }
            let hour = next_session.div_euclid(HOUR).rem_euclid(24) as usize;
            if sim.rng.below(100) < HOURLY[hour] {
                sim.start_session(next_session);
            }
            next_session += 1 + sim.rng.exponential(gap);
            continue;
        }
        let p = sim.queue.pop().expect("peeked");
        written += 1;
        line.write(config, &p, written);
        out.write_all(&line.buf)?;
    }
    out.flush()
}

// ---------------------------------------------------------------------------
// Formatting, by hand: this is the hot loop.

#[derive(Default)]
struct Line {
    buf: Vec<u8>,
    /// The day whose "YYYY-MM-DDT" is in `date`.
    day: Option<i64>,
    date: Vec<u8>,
}

impl Line {
    fn write(&mut self, config: &Config, p: &Pending, id: u64) {
        let b = &mut self.buf;
        b.clear();
        b.extend_from_slice(b"{\"customer\":\"c");
        push_u64(b, u64::from(p.customer) + 1);
        b.extend_from_slice(b"\",\"event\":");
        match &p.kind {
            Kind::View { .. } => push_json_str(b, "page.viewed"),
            Kind::Abandon { .. } => push_json_str(b, "cart.abandoned"),
            Kind::Order { .. } => push_json_str(b, "order.completed"),
            Kind::Named { name, .. } => {
                let width = digits(u64::from(config.event_names.max(1) - 1)).max(3);
                b.extend_from_slice(b"\"ev.");
                push_padded(b, u64::from(*name), width);
                b.push(b'"');
            }
        }
        b.extend_from_slice(b",\"time\":\"");
        let day = p.time.div_euclid(DAY);
        if self.day != Some(day) {
            self.day = Some(day);
            self.date.clear();
            let (y, m, d) = civil_from_days(day);
            push_padded(&mut self.date, y as u64, 4);
            self.date.push(b'-');
            push_padded(&mut self.date, u64::from(m), 2);
            self.date.push(b'-');
            push_padded(&mut self.date, u64::from(d), 2);
            self.date.push(b'T');
        }
        b.extend_from_slice(&self.date);
        let ms = p.time.rem_euclid(DAY) as u64;
        push_padded(b, ms / 3_600_000, 2);
        b.push(b':');
        push_padded(b, ms / 60_000 % 60, 2);
        b.push(b':');
        push_padded(b, ms / 1000 % 60, 2);
        b.push(b'.');
        push_padded(b, ms % 1000, 3);
        b.extend_from_slice(b"Z\",\"id\":\"g-");
        push_u64(b, id);
        b.extend_from_slice(b"\",\"props\":{");
        match p.kind {
            Kind::View { product } => {
                b.extend_from_slice(b"\"product_id\":\"p");
                push_u64(b, u64::from(product) + 1);
                b.extend_from_slice(b"\",\"url\":\"https://shop.example/products/p");
                push_u64(b, u64::from(product) + 1);
                b.push(b'"');
            }
            Kind::Abandon { cart, cents } => {
                b.extend_from_slice(b"\"cart_id\":\"cart-");
                push_u64(b, cart);
                b.extend_from_slice(b"\",\"value\":");
                push_cents(b, cents);
                b.extend_from_slice(b",\"url\":\"https://shop.example/cart/cart-");
                push_u64(b, cart);
                b.push(b'"');
            }
            Kind::Order { cart, cents } => {
                b.extend_from_slice(b"\"cart_id\":\"cart-");
                push_u64(b, cart);
                b.extend_from_slice(b"\",\"value\":");
                push_cents(b, cents);
            }
            Kind::Named { n, .. } => {
                b.extend_from_slice(b"\"n\":");
                push_u64(b, u64::from(n));
            }
        }
        b.extend_from_slice(b"}}\n");
    }
}

/// Appends `s` as a JSON string, quotes included, escaping what JSON
/// requires (`"`, `\` and control characters).
fn push_json_str(b: &mut Vec<u8>, s: &str) {
    b.push(b'"');
    let bytes = s.as_bytes();
    let mut done = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let escape: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        b.extend_from_slice(&bytes[done..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            b.extend_from_slice(b"\\u00");
            b.push(HEX[usize::from(c >> 4)]);
            b.push(HEX[usize::from(c & 0xf)]);
        } else {
            b.extend_from_slice(escape);
        }
        done = i + 1;
    }
    b.extend_from_slice(&bytes[done..]);
    b.push(b'"');
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

fn push_u64(b: &mut Vec<u8>, n: u64) {
    push_padded(b, n, 1);
}

/// `n` in decimal, with leading zeros up to `width` digits.
fn push_padded(b: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (tmp.len() - i)..width {
        b.push(b'0');
    }
    b.extend_from_slice(&tmp[i..]);
}

/// Cents as a JSON number with two decimals: 1299 → 12.99.
fn push_cents(b: &mut Vec<u8>, cents: u64) {
    push_u64(b, cents / 100);
    b.push(b'.');
    push_padded(b, cents % 100, 2);
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_str(s: &str) -> String {
        let mut b = Vec::new();
        push_json_str(&mut b, s);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn json_escaping_round_trips() {
        for s in [
            "",
            "plain",
            "quote \" and backslash \\",
            "line\nfeed\r\ttab",
            "\u{0}\u{1}\u{1f}\u{7f}",
            "café ✓ 🎉",
        ] {
            let text = json_str(s);
            let back: String = serde_json::from_str(&text).unwrap();
            assert_eq!(back, s, "{text}");
        }
        assert_eq!(json_str("a\u{1}b"), r#""a\u0001b""#);
    }

    #[test]
    fn ln_matches_the_platform_closely() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            let x = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
            let (ours, std) = (ln(x), x.ln());
            assert!(
                (ours - std).abs() <= 1e-14 * std.abs().max(1.0),
                "{x}: {ours} vs {std}"
            );
        }
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn dates_match_chrono() {
        for days in [
            -25_567, -1, 0, 59, 365, 10_957, 11_016, 19_723, 19_782, 2_932_896,
        ] {
            let (y, m, d) = civil_from_days(days);
            let expected = chrono::DateTime::from_timestamp(days * 86_400, 0)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string();
            assert_eq!(format!("{y:04}-{m:02}-{d:02}"), expected, "{days}");
        }
    }

    #[test]
    fn numbers_format() {
        let mut b = Vec::new();
        push_cents(&mut b, 1299);
        b.push(b' ');
        push_cents(&mut b, 5);
        b.push(b' ');
        push_padded(&mut b, 7, 3);
        b.push(b' ');
        push_u64(&mut b, u64::MAX);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "12.99 0.05 007 18446744073709551615"
        );
        assert_eq!(digits(0), 1);
        assert_eq!(digits(199), 3);
        assert_eq!(digits(1000), 4);
    }

    #[test]
    fn start_accepts_rfc3339_and_dates() {
        assert_eq!(parse_start("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_start("1970-01-02"), Some(86_400_000));
        assert_eq!(
            parse_start("2024-01-01T01:00:00+01:00"),
            parse_start("2024-01-01")
        );
        assert_eq!(parse_start("yesterday"), None);
        assert_eq!(parse_start("0100-01-01"), None);
    }

    #[test]
    fn time_stops_before_the_year_10000() {
        let config = Config {
            events: 1000,
            customers: 1,
            seed: 1,
            start: LAST_TIME - 5 * DAY,
            scenario: Scenario::Shop,
            event_names: 0,
        };
        let mut out = Vec::new();
        let err = generate(&config, &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines().all(|l| l.contains("\"time\":\"9999-")),
            "{text}"
        );
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let z = Zipf::new(1000, 1.0);
        let mut rng = Rng::new(3);
        let mut counts = [0u32; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        assert!(counts[0] > 5 * counts[99]);
        assert!(counts[99] > 3 * counts[999]);
    }
}
