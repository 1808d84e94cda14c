//! `trig compile`: check the rules as `trig check` does and, when nothing
//! is wrong, write the compiled program to a `.trigc` file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::project;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use trig::compile::file;
use trig::diag::render::{render, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or folders (searched for *.trig).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The project file (default: the trig.toml nearest above the first
    /// path, else above the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The compiled file to write (conventionally `NAME.trigc`).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
}

pub fn run(a: Args) -> i32 {
    let result = project::load(a.config.as_deref(), &a.paths).and_then(|mut ws| {
        let files = project::rule_files(&a.paths)?;
        project::add_rule_files(&mut ws, &files)?;
        Ok(ws)
    });
    let ws = match result {
        Ok(ws) => ws,
        Err(project::IoError(msg)) => {
            eprintln!("trig compile: {msg}");
            return EXIT_USAGE;
        }
    };
    let checked = ws.check();
    // Diagnostics go to stderr: compile's output is the file.
    if !checked.diagnostics.is_empty() {
        let color = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let text = render(Format::Human, &checked.diagnostics, &checked.sources, color);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
    let errors = checked.errors().count();
    if errors > 0 {
        eprintln!(
            "trig compile: {errors} error(s); nothing written to {}",
            project::display(&a.output)
        );
        return EXIT_PROBLEMS;
    }
    let program = trig::compile::compile(&checked.program, &checked.config, &checked.sources);
    let bytes = file::encode(&program);
    if let Err(msg) = write_atomically(&a.output, &bytes) {
        eprintln!("trig compile: {msg}");
        return EXIT_USAGE;
    }
    eprintln!(
        "compiled {} rule(s) to {} ({} bytes)",
        program.rules.len(),
        project::display(&a.output),
        bytes.len()
    );
    EXIT_OK
}

/// Writes `FILE.tmp` next to `FILE`, then renames it over `FILE`, so a
/// reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    // Renaming over a device or a FIFO would replace it with a file.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.is_file() {
            return Err(format!(
                "{}: exists and is not a regular file; give a file path for -o",
                path.display()
            ));
        }
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let shown = project::display(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{shown}: {e}"));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{shown}: {e}"));
    }
    Ok(())
}
