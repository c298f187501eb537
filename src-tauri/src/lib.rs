//! The Hookboard desktop app: wires the engine, store and secrets crates into a Tauri window.

/// Starts the desktop app and blocks until its window is closed.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the Hookboard desktop app");
}
