# Shared by tests/e2e/run.sh and tests/e2e/bench/run.sh (source it; needs `set -euo pipefail`).

# e2e_install_client TAG DIR: installs the WebDriver client of DIR/package-lock.json when
# node_modules is missing or older than the lock file (no install scripts: webdriverio's
# optional browser-driver downloaders are not needed).
e2e_install_client() {
    local tag=$1 dir=$2
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        echo "$tag: installing the WebDriver client (npm ci)" >&2
        npm --prefix "$dir" ci --ignore-scripts --no-audit --no-fund >&2
    fi
}

# e2e_start_xvfb TAG: starts Xvfb on a display nobody uses (no lock file, no socket), exports
# DISPLAY, and stops Xvfb when the calling script exits.
e2e_start_xvfb() {
    local tag=$1 n display=""
    for n in $(seq 99 199); do
        if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
            display=$n
            break
        fi
    done
    [ -n "$display" ] || { echo "$tag: no free X display between :99 and :199" >&2; exit 1; }
    Xvfb ":$display" -screen 0 1400x900x24 -nolisten tcp >"${TMPDIR:-/tmp}/hookboard-$tag-xvfb.log" 2>&1 &
    E2E_XVFB_PID=$!
    trap e2e_stop_xvfb EXIT INT TERM
    for _ in $(seq 50); do
        [ -e "/tmp/.X11-unix/X$display" ] && break
        kill -0 "$E2E_XVFB_PID" 2>/dev/null || { echo "$tag: Xvfb failed to start" >&2; exit 1; }
        sleep 0.1
    done
    export DISPLAY=":$display"
    echo "$tag: Xvfb on $DISPLAY" >&2
}

# Stops the Xvfb that e2e_start_xvfb started, keeping the script's exit status.
e2e_stop_xvfb() {
    local status=$?
    if [ -n "${E2E_XVFB_PID:-}" ] && kill -0 "$E2E_XVFB_PID" 2>/dev/null; then
        kill "$E2E_XVFB_PID" 2>/dev/null || true
        wait "$E2E_XVFB_PID" 2>/dev/null || true
    fi
    exit "$status"
}
