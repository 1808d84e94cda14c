//! `trig state`: look into a `--state` folder, and erase customers from it
//! (GDPR). Works on the store alone; no rules needed.

use std::path::PathBuf;

use trig::runtime::snapshot::CustomerRecord;

use super::store::Store;
use super::summary::thousands;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// What the store holds: watermark, input positions, pending work per
    /// rule; with --customer, that customer's whole state (as JSON).
    Inspect {
        dir: PathBuf,
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
    },
    /// Counts: customers, pending instances per rule, store size.
    Stats { dir: PathBuf },
    /// Erase customers: everything held about them is removed and the
    /// store is compacted so that no byte of it remains in the files.
    Forget {
        dir: PathBuf,
        customers: Vec<String>,
        /// A file with one customer id per line.
        #[arg(long = "forget-file", value_name = "FILE")]
        forget_file: Option<PathBuf>,
    },
}

pub fn run(a: Args) -> i32 {
    let result = match a.command {
        Command::Inspect { dir, customer } => inspect(&dir, customer.as_deref()),
        Command::Stats { dir } => stats(&dir),
        Command::Forget {
            dir,
            customers,
            forget_file,
        } => forget(&dir, customers, forget_file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trig state: {e}");
            EXIT_USAGE
        }
    }
}

/// Opens an existing store (never creates one by mistake).
fn open(dir: &std::path::Path) -> Result<Store, String> {
    if !dir.join("state.db").is_file() {
        return Err(format!(
            "{}: no trig state here (no state.db)",
            dir.display()
        ));
    }
    Store::open(dir)
}

fn inspect(dir: &std::path::Path, customer: Option<&str>) -> Result<i32, String> {
    let store = open(dir)?;
    if let Some(id) = customer {
        return match store.customer(id)? {
            Some(rec) => {
                super::out(&format!("{}\n", customer_json(&rec)));
                Ok(EXIT_OK)
            }
            None => {
                eprintln!("trig state: no state for customer `{id}` (it holds nothing, or never appeared)");
                Ok(EXIT_PROBLEMS)
            }
        };
    }
    let Some(loaded) = store.load()? else {
        eprintln!("trig state: the store is empty");
        return Ok(EXIT_OK);
    };
    let m = &loaded.engine;
    let mut out = String::new();
    out.push_str(&format!(
        "watermark: {}\nnewest event: {}\nbuffered events: {}\nsends due now: {}\nevent ids remembered: {}\n",
        trig::runtime::time::format_rfc3339(m.watermark),
        m.max_seen.map_or("none".into(), trig::runtime::time::format_rfc3339),
        m.buffer.len(),
        m.due.len(),
        m.seen_ids.len()
    ));
    for p in &loaded.run.inputs {
        out.push_str(&format!(
            "input {}: line {}, byte {}\n",
            p.path, p.line, p.offset
        ));
    }
    for p in &loaded.run.outputs {
        out.push_str(&format!("output {}: byte {}\n", p.canonical, p.offset));
    }
    out.push_str(&per_rule(&loaded.customers));
    super::out(&out);
    Ok(EXIT_OK)
}

/// Customers and pending instances per rule.
fn per_rule(customers: &[CustomerRecord]) -> String {
    let mut rules: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for c in customers {
        for r in &c.rules {
            let e = rules.entry(r.name.as_str()).or_default();
            e.0 += 1;
            e.1 += r.state.pending();
        }
    }
    let mut out = format!(
        "customers with state: {}\n",
        thousands(customers.len() as u64)
    );
    for (name, (n, pending)) in rules {
        out.push_str(&format!(
            "  rule {name}: {} customer(s), {} pending instance(s)\n",
            thousands(n),
            thousands(pending)
        ));
    }
    out
}

fn stats(dir: &std::path::Path) -> Result<i32, String> {
    let store = open(dir)?;
    let customers = store.customers()?;
    let mut out = per_rule(&customers);
    out.push_str(&format!("store size: {} bytes\n", thousands(store.size())));
    super::out(&out);
    Ok(EXIT_OK)
}

fn forget(
    dir: &std::path::Path,
    mut ids: Vec<String>,
    file: Option<PathBuf>,
) -> Result<i32, String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        ids.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    if ids.is_empty() {
        return Err("name the customers to forget, or give --forget-file".into());
    }
    let mut store = open(dir)?;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let n = store.forget(&refs)?;
    // Counts only: the ids themselves are not repeated in logs.
    eprintln!(
        "forgot {} customer(s) ({} had state); the store was compacted",
        thousands(ids.len() as u64),
        thousands(n as u64)
    );
    Ok(EXIT_OK)
}

/// A customer's state as JSON, for people reading it.
fn customer_json(rec: &CustomerRecord) -> String {
    serde_json::to_string_pretty(rec).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
