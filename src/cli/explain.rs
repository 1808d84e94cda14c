//! `trig explain CODE`: the long explanation of a diagnostic.

use super::{EXIT_OK, EXIT_USAGE};
use trig::diag::Code;

#[derive(clap::Args)]
pub struct Args {
    /// A code such as T0301, or a name such as unknown-template; omit to list all.
    code: Option<String>,
}

pub fn run(a: Args) -> i32 {
    let Some(code) = a.code else {
        let list: String = Code::ALL
            .iter()
            .map(|c| {
                format!(
                    "{}  {:<24} {:<8} {}\n",
                    c.id(),
                    c.name(),
                    c.default_severity().as_str(),
                    c.summary()
                )
            })
            .collect();
        super::out(&list);
        return EXIT_OK;
    };
    match Code::parse(&code) {
        Some(c) => {
            super::out(c.explanation());
            EXIT_OK
        }
        None => {
            eprintln!(
                "trig explain: `{code}` is not a diagnostic code; run `trig explain` to list them"
            );
            EXIT_USAGE
        }
    }
}
