//! Writes the npm package's generated constants (error codes and limits,
//! owned by the Rust crate) into a directory:
//!
//!     cargo run --quiet --example js-constants -- pkg
//!
//! `scripts/build.sh` runs it on every build; see `src/js_constants.rs`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: js-constants <output directory>");
        return ExitCode::FAILURE;
    };
    let files = [
        ("constants.js", edgecache::js_constants::javascript()),
        ("constants.d.ts", edgecache::js_constants::typescript()),
    ];
    for (name, text) in files {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            eprintln!(
                "js-constants: cannot write {name} in {}: {e}",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
