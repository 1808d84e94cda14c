//! The `trig` binary: the command line over the pure library. All file,
//! environment and terminal access lives here and in src/cli/.

mod cli;

// mimalloc: a run allocates and frees small values (events, props,
// instances) at millions a second, across threads in `--threads` runs
// (an event decoded on one thread is freed on another), where it measured
// about 15 % faster than the system allocator (benches/e2e.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
