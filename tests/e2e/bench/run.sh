#!/usr/bin/env bash
# Canvas bench: a measurement, NOT a test (never part of tests/run-all.sh or the e2e stories).
#
#   tests/e2e/bench/run.sh
#
# Uses an already-built app ($HOOKBOARD_E2E_APP, else ${CARGO_TARGET_DIR:-target}/release/
# hookboard, the build users run, else .../debug/hookboard; it does not build one: run
# `cargo build --release` first, or `cargo build` / tests/e2e/run.sh for the debug app, whose
# unoptimized code holds more memory), starts Xvfb on
# a free display and, inside tests/with-keyring.sh (a private D-Bus session), runs canvas.mjs,
# which prints:
#   - the memory of the app and its WebKit processes after 10 s idle on the demo workspace
#     (fresh data folder, first start), against < 250 MB;
#   - the time from clicking a 1,000-node, 1,200-edge workflow (make-bundle.mjs, imported
#     with the Import button) to its nodes on the canvas, against < 1 s;
#   - the frames per second while panning that workflow for 3 s, against >= 50 fps;
# and saves a screenshot of the big workflow to tests/e2e/artifacts/bench-1000.png (or
# $HOOKBOARD_BENCH_SCREENSHOT). The app paints on the CPU, as without a GPU (HOOKBOARD_GPU=0;
# HOOKBOARD_GPU=1 measures WebKit's default compositing instead; see canvas.mjs). Exits 0
# whatever the figures are; non-zero only when it could not measure (a missing tool or binary,
# the app not starting).
#
# Needs what tests/e2e/run.sh needs, except cargo: node + npm, Xvfb, tauri-driver,
# WebKitWebDriver, dbus-run-session, dbus-send, gnome-keyring-daemon.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e=$(cd "$here/.." && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$repo"
export PATH="$HOME/.cargo/bin:$PATH"

missing=()
for tool in node npm Xvfb tauri-driver WebKitWebDriver dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "bench: missing tools: ${missing[*]} (see tests/e2e/run.sh for where they come from)" >&2
    exit 1
fi

target="${CARGO_TARGET_DIR:-$repo/target}"
app="${HOOKBOARD_E2E_APP:-}"
if [ -z "$app" ]; then
    app="$target/release/hookboard"
    [ -x "$app" ] || app="$target/debug/hookboard"
fi
if [ ! -x "$app" ]; then
    echo "bench: $app is missing: build the app first (cargo build --release)" >&2
    exit 1
fi
echo "bench: measuring $app"
export HOOKBOARD_E2E_APP="$app"

# shellcheck source=tests/e2e/lib/xvfb.sh
source "$e2e/lib/xvfb.sh"
e2e_install_client bench "$e2e"
e2e_start_xvfb bench

# canvas.mjs writes its own exit status to a file: with-keyring.sh's may differ for reasons of
# its own (its clean-up), and this is a measurement.
status_file=$(mktemp "${TMPDIR:-/tmp}/hookboard-bench-status.XXXXXX")
HOOKBOARD_BENCH_STATUS="$status_file" "$repo/tests/with-keyring.sh" node "$here/canvas.mjs" || true
status=$(cat "$status_file" 2>/dev/null || true)
rm -f "$status_file"
exit "${status:-1}"
