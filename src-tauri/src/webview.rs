//! Settings of the window's webview that WebKitGTK's defaults get wrong on some machines.
//!
//! On Linux without a GPU render node (`/dev/dri/renderD*`), or with `LIBGL_ALWAYS_SOFTWARE`
//! set, hardware acceleration is turned off: there WebKitGTK's "accelerated" compositing runs
//! on Mesa's software OpenGL, which pans the canvas at about 20 frames per second where
//! WebKit's own CPU painting reaches 50-60, and holds about 60 MB more. Not while WebDriver
//! drives the window (Tauri's `TAURI_WEBVIEW_AUTOMATION=true`, set by tauri-driver): WebKitGTK
//! 2.50 never answers a screenshot without compositing, and the end-to-end stories take one
//! each. `HOOKBOARD_GPU=0` turns acceleration off in every case
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

/// Tauri's switch for WebDriver automation, set by tauri-driver for the app it starts.
#[cfg(target_os = "linux")]
const AUTOMATION_ENV: &str = "TAURI_WEBVIEW_AUTOMATION";

/// Decides whether the window paints on the CPU (see the module's text) and, if so, turns the
/// DMA-BUF renderer off unless that variable is set already; returns the decision for
/// [`tune`]. Call first thing, before WebKit starts and before any other thread exists.
pub fn prepare_environment() -> bool {
    #[cfg(target_os = "linux")]
    {
        let cpu_painting = match std::env::var(GPU_ENV).as_deref() {
            Ok("0") => true,
            Ok("1") => false,
            _ => !gpu_render_node() && std::env::var(AUTOMATION_ENV).as_deref() != Ok("true"),
        };
        if cpu_painting && std::env::var_os(DMABUF_RENDERER_OFF_ENV).is_none() {
            // SAFETY: called at the start of `run()`, while the process has one thread.
            unsafe { std::env::set_var(DMABUF_RENDERER_OFF_ENV, "1") };
        }
        cpu_painting
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// Turns hardware acceleration off in the window's webview when it paints on the CPU (the
/// decision of [`prepare_environment`]).
pub fn tune(window: &tauri::WebviewWindow, cpu_painting: bool) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    if cpu_painting {
        window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        })?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, cpu_painting);
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
