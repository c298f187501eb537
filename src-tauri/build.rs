//! Build script of the desktop app: builds the UI when `ui/dist` is missing or stale (plain
//! `cargo run` does not run tauri.conf.json's `beforeBuildCommand`), then runs tauri-build.
//!
//! - `ui/node_modules` missing: `npm --prefix ui ci`.
//! - `ui/dist/index.html` missing or older than anything in `ui/src`, `ui/index.html` or
//!   `ui/package.json`: `npm --prefix ui run build`.
//! - No `ui/package.json` yet: the UI build is skipped with a warning.
//! - npm missing while a build is needed: the build fails and says what to install.
//!
//! Set `HOOKBOARD_SKIP_UI_BUILD=1` to skip the UI build entirely (the UI's own CI builds it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    for watched in [
        "ui/src",
        "ui/index.html",
        "ui/package.json",
        "ui/package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    println!("cargo:rerun-if-env-changed=HOOKBOARD_SKIP_UI_BUILD");
    if let Err(message) = build_ui(&root) {
        eprintln!("error: {message}");
        println!("cargo:warning={message}");
        std::process::exit(1);
    }
    if let Err(err) = tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    ) {
        eprintln!("error: tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}

/// Builds `ui/dist` when needed; `Err` carries a message for the person building.
fn build_ui(root: &Path) -> Result<(), String> {
    if std::env::var_os("HOOKBOARD_SKIP_UI_BUILD").is_some_and(|v| !v.is_empty() && v != "0") {
        println!("cargo:warning=HOOKBOARD_SKIP_UI_BUILD is set: ui/dist is not rebuilt");
        return Ok(());
    }
    let ui = root.join("ui");
    if !ui.join("package.json").exists() {
        println!("cargo:warning=ui/package.json does not exist yet: skipping the UI build");
        return Ok(());
    }
    let index = ui.join("dist").join("index.html");
    let built = modified(&index);
    let newest_source = [
        ui.join("src"),
        ui.join("index.html"),
        ui.join("package.json"),
    ]
    .iter()
    .filter_map(|p| newest(p))
    .max();
    let stale = match (built, newest_source) {
        (None, _) => true,
        (Some(built), Some(source)) => source > built,
        (Some(_), None) => false,
    };
    let needs_install = !ui.join("node_modules").exists();
    if !stale {
        return Ok(());
    }
    if needs_install {
        println!("cargo:warning=ui/node_modules is missing: running `npm --prefix ui ci`");
        npm(root, &["--prefix", "ui", "ci"])?;
    }
    println!(
        "cargo:warning=ui/dist is missing or older than ui/src: running `npm --prefix ui run build`"
    );
    npm(root, &["--prefix", "ui", "run", "build"])
}

/// Runs npm with `args` in `root`; its output goes to the build log.
fn npm(root: &Path, args: &[&str]) -> Result<(), String> {
    let shown = format!("npm {}", args.join(" "));
    let status = Command::new("npm")
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|err| {
            format!(
                "`{shown}` could not start ({err}): the desktop app embeds the UI from ui/dist, \
                 which is built with Node.js and npm. Install Node.js 20 or newer \
                 (e.g. `apt-get install nodejs npm`) and build again"
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` failed ({status}); see its output above (run `cargo build -vv` to show it)"
        ))
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of `path` or, for a folder, of anything inside it.
fn newest(path: &Path) -> Option<SystemTime> {
    let own = modified(path);
    let Ok(entries) = std::fs::read_dir(path) else {
        return own;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .chain(own)
        .max()
}
