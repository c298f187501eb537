#!/usr/bin/env bash
# Canvas bench: a measurement, NOT a test (never part of tests/run-all.sh or the e2e stories).
#
#   tests/e2e/bench/run.sh
#
# Uses the already-built debug app (${CARGO_TARGET_DIR:-target}/debug/hookboard; it does not
# build it: run `cargo build` or tests/e2e/run.sh first), starts Xvfb on a free display and,
# inside tests/with-keyring.sh (a private D-Bus session), runs canvas.mjs, which prints:
#   - the memory of the app and its WebKit processes after 10 s idle on the demo workspace
#     (fresh data folder, first start), against < 250 MB;
#   - the time from clicking a 1,000-node, 1,200-edge workflow (make-bundle.mjs, imported
#     with the Import button) to its nodes on the canvas, against < 1 s;
#   - the frames per second while panning that workflow for 3 s, against >= 50 fps;
# and saves a screenshot of the big workflow to tests/e2e/artifacts/bench-1000.png (or
# $HOOKBOARD_BENCH_SCREENSHOT). Exits 0 whatever the figures are; non-zero only when it could
# not measure (a missing tool or binary, the app not starting).
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

app="${CARGO_TARGET_DIR:-$repo/target}/debug/hookboard"
if [ ! -x "$app" ]; then
    echo "bench: $app is missing: build the app first (cargo build, or tests/e2e/run.sh)" >&2
    exit 1
fi
export HOOKBOARD_E2E_APP="$app"

if [ ! -d "$e2e/node_modules" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
    echo "bench: installing the WebDriver client (npm ci)" >&2
    npm --prefix "$e2e" ci --ignore-scripts --no-audit --no-fund >&2
fi

display=""
for n in $(seq 99 199); do
    if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
        display=$n
        break
    fi
done
[ -n "$display" ] || { echo "bench: no free X display between :99 and :199" >&2; exit 1; }

xvfb_pid=""
cleanup() {
    if [ -n "$xvfb_pid" ] && kill -0 "$xvfb_pid" 2>/dev/null; then
        kill "$xvfb_pid" 2>/dev/null || true
        wait "$xvfb_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

Xvfb ":$display" -screen 0 1400x900x24 -nolisten tcp >"${TMPDIR:-/tmp}/hookboard-bench-xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do
    [ -e "/tmp/.X11-unix/X$display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { echo "bench: Xvfb failed to start" >&2; exit 1; }
    sleep 0.1
done
export DISPLAY=":$display"
echo "bench: Xvfb on $DISPLAY, app $app" >&2

# canvas.mjs writes its own exit status to a file: with-keyring.sh's may differ for reasons of
# its own (its clean-up), and this is a measurement.
status_file=$(mktemp "${TMPDIR:-/tmp}/hookboard-bench-status.XXXXXX")
HOOKBOARD_BENCH_STATUS="$status_file" "$repo/tests/with-keyring.sh" node "$here/canvas.mjs" || true
status=$(cat "$status_file" 2>/dev/null || true)
rm -f "$status_file"
exit "${status:-1}"
