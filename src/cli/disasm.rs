//! `trig disasm`: print a compiled `.trigc` file as a readable listing.

use std::path::PathBuf;

use super::project;
use super::{EXIT_OK, EXIT_USAGE};
use trig::compile::{disasm, file};

#[derive(clap::Args)]
pub struct Args {
    /// The compiled file (written by `trig compile`).
    file: PathBuf,
}

pub fn run(a: Args) -> i32 {
    let shown = project::display(&a.file);
    let bytes = match std::fs::read(&a.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {shown}: {e}");
            return EXIT_USAGE;
        }
    };
    match file::decode(&bytes) {
        Ok(program) => {
            super::out(&disasm::disasm(&program));
            EXIT_OK
        }
        // Like `trig run`: a file that fails verification is exit 2.
        Err(e) => {
            eprintln!("error: {shown}: {e}");
            EXIT_USAGE
        }
    }
}
