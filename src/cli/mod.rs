//! The command line. This is the only place (with src/main.rs) that reads
//! files, environment variables and terminals; the library stays pure.

mod check;
mod compile;
mod disasm;
mod explain;
mod fmt;
mod gen;
mod lsp;
mod outputs;
mod parallel;
mod project;
mod reader;
mod report;
mod run;
mod state;
mod store;
mod summary;
mod test;

use clap::{Parser, Subcommand};

/// Exit codes shared by every command.
pub const EXIT_OK: i32 = 0;
pub const EXIT_PROBLEMS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser)]
#[command(
    name = "trig",
    version,
    about = "Compiler and interpreter for behavioral trigger rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files: syntax, names, types, channel and template rules.
    Check(check::Args),
    /// Compile rule files to a verified `.trigc` bytecode file.
    Compile(compile::Args),
    /// Print a compiled `.trigc` file as a readable listing.
    Disasm(disasm::Args),
    /// Run rules over event streams and print the messages to send.
    Run(Box<run::Args>),
    /// Inspect a --state folder, or erase customers from it (GDPR).
    State(state::Args),
    /// Format rule files in place (canonical layout, comments kept).
    Fmt(fmt::Args),
    /// Explain a diagnostic code, such as T0301 or unknown-template.
    Explain(explain::Args),
    /// Write a seeded synthetic event stream (NDJSON) for benchmarks.
    Gen(gen::Args),
    /// The language server for editors (LSP over stdio).
    Lsp(lsp::Args),
    /// Run rule tests (*.test.toml): events in, expected sends out.
    Test(test::Args),
}

/// Writes to stdout. A closed pipe (`trig explain | head`) ends the output
/// quietly instead of panicking as `print!` would.
pub fn out(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Disasm(a) => disasm::run(a),
        Command::Run(a) => run::run(*a),
        Command::State(a) => state::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Gen(a) => gen::run(a),
        Command::Lsp(a) => lsp::run(a),
        Command::Test(a) => test::run(a),
    }
}
