//! Build script of the desktop app: builds the UI when `ui/dist` is missing or stale (plain
//! `cargo run` does not run tauri.conf.json's `beforeBuildCommand`), then runs tauri-build.
//!
//! - `ui/node_modules` missing: `npm --prefix ui ci`.
//! - `ui/dist/index.html` missing or older than anything in `ui/src`, `ui/index.html`,
//!   `ui/package.json`, `ui/package-lock.json` or `ui/vite.config.ts` (and those sources differ
//!   from the ones of the last build): `npm --prefix ui run build`.
//! - No `ui/package.json` yet: the UI build is skipped with a warning.
//! - npm missing while a build is needed: the build fails and says what to install.
//!
//! Set `HOOKBOARD_SKIP_UI_BUILD=1` to skip the UI build entirely (the UI's own CI builds it).

use std::hash::{Hash, Hasher};
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

/// The UI sources whose changes make `ui/dist` stale.
const UI_SOURCES: [&str; 5] = [
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
];

/// Where the build script records the hash of the sources `ui/dist` was built from (in its
/// `OUT_DIR`, so that nothing extra lands in the embedded `ui/dist`).
const HASH_FILE: &str = "ui-sources.hash";

/// Builds `ui/dist` when needed; `Err` carries a message for the person building.
///
/// `ui/dist` is stale when `ui/dist/index.html` is missing, or older than a source file and
/// built from other contents (`cargo test` rewrites ui/src/bindings with identical contents,
/// which must not cost a UI build).
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
    let dist = ui.join("dist");
    let record = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join(HASH_FILE);
    let index = dist.join("index.html");
    let hash = sources_hash(&ui);
    // The record holds the sources' hash and the time of the index.html built from them, so a
    // `ui/dist` rebuilt by someone else since is not taken for the recorded one.
    let stale = match modified(&index) {
        None => true,
        Some(built) => {
            let newer = UI_SOURCES
                .iter()
                .filter_map(|p| newest(&ui.join(p)))
                .any(|t| t > built);
            let recorded = std::fs::read_to_string(&record).ok();
            newer && recorded != Some(stamp(&hash, built))
        }
    };
    if !stale {
        return Ok(());
    }
    if !ui.join("node_modules").exists() {
        println!("cargo:warning=ui/node_modules is missing: running `npm --prefix ui ci`");
        npm(root, &["--prefix", "ui", "ci"])?;
    }
    println!(
        "cargo:warning=ui/dist is missing or older than ui/src: running `npm --prefix ui run build`"
    );
    npm(root, &["--prefix", "ui", "run", "build"])?;
    // Best effort: without the record the next build only compares times.
    if let Some(built) = modified(&index) {
        let _ = std::fs::write(&record, stamp(&hash, built));
    }
    Ok(())
}

/// What the record holds: the sources' hash and the build's `index.html` time.
fn stamp(hash: &str, built: SystemTime) -> String {
    let nanos = built
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{hash} {nanos}")
}

/// A hash of the UI sources' paths and contents.
fn sources_hash(ui: &Path) -> String {
    let mut files = Vec::new();
    for source in UI_SOURCES {
        collect_files(&ui.join(source), &mut files);
    }
    files.sort();
    let mut hasher = std::hash::DefaultHasher::new();
    for file in files {
        file.strip_prefix(ui).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.filter_map(Result::ok) {
                collect_files(&entry.path(), out);
            }
        }
        Err(_) if path.is_file() => out.push(path.to_path_buf()),
        Err(_) => {}
    }
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
