//! Settings of the window's webview that WebKitGTK's defaults get wrong on some machines.
//!
//! On Linux without a GPU render node (`/dev/dri/renderD*`), or with `LIBGL_ALWAYS_SOFTWARE`
//! set, hardware acceleration is turned off: there WebKitGTK's "accelerated" compositing runs
//! on Mesa's software OpenGL, which pans the canvas at about 20 frames per second where
//! WebKit's own CPU painting reaches 50-60, and holds about 60 MB more. Not while WebDriver
//! drives the window: WebKitGTK 2.50 never answers a screenshot without compositing, and the
//! end-to-end stories take one each. `HOOKBOARD_GPU=0` turns acceleration off in every case
//! (the canvas bench, or a GPU whose driver misdraws), `HOOKBOARD_GPU=1` keeps WebKit's
//! default. Other platforms keep their webview's defaults.
//!
//! Painting on the CPU, WebKitGTK's DMA-BUF renderer is turned off as well
//! (`WEBKIT_DISABLE_DMABUF_RENDERER=1`, set before WebKit starts): its OpenGL context in the
//! app's own process has nothing to show then, and held about 10 MB at idle (canvas bench).

/// The environment variable that forces the choice: `0` CPU painting, `1` WebKit's default.
pub const GPU_ENV: &str = "HOOKBOARD_GPU";

/// WebKitGTK's switch for its DMA-BUF renderer, read when WebKit starts.
#[cfg(target_os = "linux")]
const DMABUF_RENDERER_OFF_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Set by tauri-driver for the app it starts under WebDriver.
#[cfg(target_os = "linux")]
const AUTOMATION_ENV: &str = "TAURI_WEBVIEW_AUTOMATION";

/// Whether acceleration is to be turned off: `Some(true)` forced by `HOOKBOARD_GPU=0`,
/// `Some(false)` for lack of a GPU, `None` when WebKit keeps its default.
#[cfg(target_os = "linux")]
fn acceleration_off() -> Option<bool> {
    match std::env::var(GPU_ENV).as_deref() {
        Ok("0") => Some(true),
        Ok("1") => None,
        _ if gpu_render_node() => None,
        _ => Some(false),
    }
}

/// Turns WebKitGTK's DMA-BUF renderer off when the window will paint on the CPU (and is not
/// driven by WebDriver, unless forced), unless the variable is set already. Call first thing,
/// before WebKit starts and before any other thread exists.
pub fn prepare_environment() {
    #[cfg(target_os = "linux")]
    {
        let cpu_painting = match acceleration_off() {
            Some(true) => true,
            Some(false) => std::env::var(AUTOMATION_ENV).as_deref() != Ok("true"),
            None => false,
        };
        if cpu_painting && std::env::var_os(DMABUF_RENDERER_OFF_ENV).is_none() {
            // SAFETY: called at the start of `run()`, while the process has one thread.
            unsafe { std::env::set_var(DMABUF_RENDERER_OFF_ENV, "1") };
        }
    }
}

/// Applies the setting above to the window's webview (a no-op outside Linux).
pub fn tune(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let Some(forced_off) = acceleration_off() else {
            return Ok(());
        };
        window.with_webview(move |webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            let view = webview.inner();
            if !forced_off && view.is_controlled_by_automation() {
                return;
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        })?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
    Ok(())
}

/// Whether OpenGL can run on a GPU: a DRM render node exists and software GL is not forced.
#[cfg(target_os = "linux")]
fn gpu_render_node() -> bool {
    if std::env::var_os("LIBGL_ALWAYS_SOFTWARE").is_some_and(|v| !v.is_empty() && v != "0") {
        return false;
    }
    std::fs::read_dir("/dev/dri")
        .map(|dir| {
            dir.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}
