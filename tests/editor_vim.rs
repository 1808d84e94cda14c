//! The Vim and Neovim support (editors/vim): `editors/vim/test/run.sh`
//! opens the example files and a file with every construct in headless
//! Vim and Neovim (whichever are installed) and checks the filetype, the
//! comment string and the syntax group at each kind of token, broken input
//! included.

use std::path::PathBuf;
use std::process::Command;

#[path = "support/editor_tools.rs"]
mod editor_tools;

use editor_tools::root;

#[test]
fn vim_and_neovim_highlight_trig_files() {
    let editors: Vec<&str> = ["vim", "nvim"]
        .into_iter()
        .filter(|e| editor_tools::runs(&PathBuf::from(e)))
        .collect();
    if editors.is_empty() {
        editor_tools::missing("Vim or Neovim", "apt-get install vim neovim");
        return;
    }
    for absent in ["vim", "nvim"].iter().filter(|e| !editors.contains(e)) {
        editor_tools::missing(absent, "apt-get install vim neovim");
    }
    let out = Command::new("bash")
        .arg(root().join("editors/vim/test/run.sh"))
        .current_dir(root())
        .output()
        .expect("run bash");
    let stdout = editor_tools::assert_success("bash editors/vim/test/run.sh", &out);
    eprint!("{stdout}");
}
