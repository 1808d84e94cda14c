//! Finding and loading the project: `trig.toml` (nearest above the first
//! path given, else above the current folder, or `--config`), the catalogs
//! and schema it names, and the rule files under the given paths.

use std::path::{Path, PathBuf};

use trig::check::Workspace;

/// A file that could not be read: the message for stderr (exit code 2).
pub struct IoError(pub String);

/// `trig.toml` in `start` or the nearest folder above it.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("trig.toml"))
        .find(|p| p.is_file())
}

/// Loads the project file and everything it names into a new workspace.
/// Without `--config`, the project is the `trig.toml` nearest above the
/// first path (what a user points at is what they mean), else the one
/// nearest above the current folder.
pub fn load(config: Option<&Path>, paths: &[PathBuf]) -> Result<Workspace, IoError> {
    let mut ws = Workspace::new();
    let path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => paths
            .first()
            .and_then(|p| find_config(&folder_of(p)))
            .or_else(|| std::env::current_dir().ok().and_then(|d| find_config(&d))),
    };
    let Some(path) = path else { return Ok(ws) };
    let text = read(&path)?;
    ws.load_config(&display(&path), &text);
    let base = path.parent().unwrap_or(Path::new("."));
    let catalogs = ws.config.catalogs.clone();
    for f in &catalogs.whatsapp {
        let p = base.join(f);
        let text = read(&p)?;
        ws.add_whatsapp_catalog(&display(&p), &text);
    }
    if let Some(f) = &catalogs.templates {
        let p = base.join(f);
        let text = read(&p)?;
        ws.load_templates(&display(&p), &text);
    }
    if let Some(f) = &catalogs.schema {
        let p = base.join(f);
        let text = read(&p)?;
        ws.load_schema(&display(&p), &text);
    }
    Ok(ws)
}

/// A folder path itself, a file's folder (`.` for a bare file name).
pub fn folder_of(p: &Path) -> PathBuf {
    let dir = if p.is_dir() { Some(p) } else { p.parent() };
    match dir {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Every `.trig` file named or found (recursively, sorted) under `paths`.
pub fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(IoError(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    // `is_file` leaves out FIFOs and devices, whose read would block.
    walk_files(
        dir,
        false,
        &|p| p.extension().is_some_and(|e| e == "trig"),
        out,
    )
}

/// The regular files under `dir` that `keep` accepts, sorted, recursively;
/// hidden folders and `target` are skipped, and so are folders with their
/// own `trig.toml` (other projects) unless `into_projects`.
pub fn walk_files(
    dir: &Path,
    into_projects: bool,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), IoError> {
    let entries = std::fs::read_dir(dir).map_err(|e| IoError(format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n == "target");
        if hidden {
            continue;
        }
        if p.is_dir() {
            if into_projects || !p.join("trig.toml").is_file() {
                walk_files(&p, into_projects, keep, out)?;
            }
        } else if p.is_file() && keep(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Adds rule files to the workspace; a file that is not UTF-8 becomes a
/// diagnostic, not an I/O error.
pub fn add_rule_files(ws: &mut Workspace, files: &[PathBuf]) -> Result<(), IoError> {
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| IoError(format!("{}: {e}", f.display())))?;
        match String::from_utf8(bytes) {
            Ok(text) => {
                ws.add_rules(&display(f), &text);
            }
            Err(e) => ws.add_invalid_utf8(&display(f), e.as_bytes()),
        }
    }
    Ok(())
}

pub fn read(path: &Path) -> Result<String, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError(format!("{}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        IoError(format!(
            "{}: not valid UTF-8 at byte {}",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Paths as the user should see them: relative, forward slashes.
pub fn display(p: &Path) -> String {
    let s = p
        .strip_prefix("./")
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned();
    let s = s.replace('\\', "/");
    // `./` stripped from `.` leaves nothing.
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// The program to run: one `.trigc` file loaded and verified, or rule
/// files checked and compiled in memory. `Ok(None)` when the rules have
/// errors (already printed to stderr with the usual diagnostics).
pub fn compile_or_load(
    paths: &[PathBuf],
    config: Option<&Path>,
) -> Result<Option<trig::compile::Program>, String> {
    let is_trigc = |p: &PathBuf| p.extension().is_some_and(|e| e == "trigc");
    if paths.len() > 1 && paths.iter().any(is_trigc) {
        return Err("a compiled .trigc file runs on its own: give one .trigc file, or .trig files and folders".into());
    }
    if let [one] = paths {
        if is_trigc(one) {
            let bytes = std::fs::read(one).map_err(|e| format!("{}: {e}", one.display()))?;
            return trig::compile::file::decode(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: {e}", one.display()));
        }
    }
    let mut ws = load(config, paths).map_err(|e| e.0)?;
    let files = rule_files(paths).map_err(|e| e.0)?;
    add_rule_files(&mut ws, &files).map_err(|e| e.0)?;
    let checked = ws.check();
    let errors: Vec<_> = checked.errors().cloned().collect();
    if !errors.is_empty() {
        let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let text = trig::diag::render::render(
            trig::diag::render::Format::Human,
            &errors,
            &checked.sources,
            color,
        );
        eprint!("{text}");
        eprintln!(
            "{} error(s): nothing was run (`trig check` shows warnings too)",
            errors.len()
        );
        return Ok(None);
    }
    Ok(Some(trig::compile::compile(
        &checked.program,
        &checked.config,
        &checked.sources,
    )))
}
