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

/// The environment variable that forces the choice: `0` CPU painting, `1` WebKit's default.
pub const GPU_ENV: &str = "HOOKBOARD_GPU";

/// Applies the setting above to the window's webview (a no-op outside Linux).
pub fn tune(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let forced_off = match std::env::var(GPU_ENV).as_deref() {
            Ok("0") => true,
            Ok("1") => return Ok(()),
            _ if gpu_render_node() => return Ok(()),
            _ => false,
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
