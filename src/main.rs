//! `melody`: the headless server and the data tools of MelodyandMeter.

mod cli;
mod ics;
mod tools;
mod transfer;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Before parsing: clap reads MELODY_DB, PORT and MELODY_BIND from the
    // environment, and .env must be able to set them.
    if let Err(error) = melody_app::load_dotenv() {
        eprintln!("error: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
