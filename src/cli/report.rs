//! `trig run --report FILE.html`: the backtest report, written as HTML and,
//! next to it, as JSON (same name, `.json`) once the run is over. The
//! figures are computed by the library (`trig::report`); this writes them.

use std::path::{Path, PathBuf};

use trig::compile::Program;
use trig::report::{html, Figures};
use trig::runtime::stats::Stats;

/// Where the two files go.
pub struct Paths {
    pub html: PathBuf,
    pub json: PathBuf,
}

impl Paths {
    /// Refuses, before the run, a report the end of the run could not
    /// write: a `.json` name (the HTML and the JSON would be one file) or
    /// a folder that does not exist.
    pub fn new(html: &Path) -> Result<Paths, String> {
        let json = html.with_extension("json");
        if json == html {
            return Err(format!(
                "--report {}: give the HTML file (report.html); the JSON is written next to it",
                html.display()
            ));
        }
        let folder = match html.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(format!(
                "--report {}: the folder {} does not exist",
                html.display(),
                folder.display()
            ));
        }
        Ok(Paths {
            html: html.to_path_buf(),
            json,
        })
    }

    pub fn both(&self) -> [&Path; 2] {
        [&self.html, &self.json]
    }
}

/// Finishes the figures and writes both files.
pub fn write(
    paths: &Paths,
    figures: Figures,
    stats: &Stats,
    program: &Program,
    inputs: &[String],
    rejected: u64,
) -> Result<(), String> {
    let mut report = figures.finish(stats, program);
    report.inputs = inputs.to_vec();
    report.totals.rejected = rejected;
    let mut json = serde_json::to_string_pretty(&report.to_json())
        .map_err(|e| format!("{}: {e}", paths.json.display()))?;
    json.push('\n');
    // Both files are written before either replaces an older report, so
    // a full disk or a missing permission leaves no mismatched pair.
    let staged = [
        stage(&paths.html, html::render(&report).as_bytes()),
        stage(&paths.json, json.as_bytes()),
    ];
    let result = match staged.iter().find_map(|s| s.as_ref().err()) {
        Some(e) => Err(e.clone()),
        None => staged
            .iter()
            .flatten()
            .zip(paths.both())
            .try_for_each(|(tmp, path)| {
                std::fs::rename(tmp, path).map_err(|e| format!("{}: {e}", path.display()))
            }),
    };
    for tmp in staged.iter().flatten() {
        // Already gone when it was renamed.
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Writes `path.tmp`; a reader never sees half a report.
fn stage(path: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(tmp)
}
