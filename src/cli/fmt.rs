//! `trig fmt`: rewrite rule files in canonical layout, or `--check` them.

use std::path::PathBuf;

use super::project;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use trig::diag::render::{render, Format};
use trig::diag::{SourceFile, SourceMap};

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (searched for *.trig); default: the current folder.
    paths: Vec<PathBuf>,
    /// Change nothing; exit 1 if a file would change.
    #[arg(long)]
    check: bool,
}

pub fn run(a: Args) -> i32 {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths
    };
    let files = match project::rule_files(&paths) {
        Ok(f) => f,
        Err(project::IoError(msg)) => {
            eprintln!("trig fmt: {msg}");
            return EXIT_USAGE;
        }
    };
    let mut status = EXIT_OK;
    for f in files {
        match format_one(&f, a.check) {
            Ok(true) if a.check => {
                super::out(&format!("{} would be reformatted\n", project::display(&f)));
                status = status.max(EXIT_PROBLEMS);
            }
            Ok(_) => {}
            Err(code) => status = status.max(code),
        }
    }
    status
}

/// Formats one file; Ok(changed). A file that does not parse is reported
/// and left untouched.
fn format_one(path: &std::path::Path, check: bool) -> Result<bool, i32> {
    let name = project::display(path);
    let text = project::read(path).map_err(|project::IoError(m)| {
        eprintln!("trig fmt: {m}");
        EXIT_USAGE
    })?;
    let formatted = match trig::fmt::format_source(&text) {
        Ok(f) => f,
        Err(diags) => {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new(name.clone(), text));
            let diags: Vec<_> = diags
                .into_iter()
                .map(|mut d| {
                    d.file = id;
                    d
                })
                .collect();
            eprint!("{}", render(Format::Human, &diags, &sources, false));
            eprintln!("trig fmt: {name} left unchanged: it does not parse");
            return Err(EXIT_PROBLEMS);
        }
    };
    if formatted == text {
        return Ok(false);
    }
    if !check {
        std::fs::write(path, formatted).map_err(|e| {
            eprintln!("trig fmt: {name}: {e}");
            EXIT_USAGE
        })?;
    }
    Ok(true)
}
