//! The `trig` binary: the command line over the pure library. All file,
//! environment and terminal access lives here and in src/cli/.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
