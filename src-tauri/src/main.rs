// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(err) = hookboard_app::run() {
        eprintln!("hookboard: {err}");
        std::process::exit(1);
    }
}
