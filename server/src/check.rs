//! `server check [FOLDER]`: the same validation the server runs at start-up, for a PR.

use std::path::Path;
use std::process::ExitCode;

use app::server::registry::Registry;

pub fn run(folder: Option<&str>) -> ExitCode {
    let folder = folder.unwrap_or("workshops");
    match Registry::load_dir(Path::new(folder)) {
        Ok(registry) => {
            println!("{folder}: {} workshop file(s), all valid", registry.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprint!("{error}");
            ExitCode::FAILURE
        }
    }
}
