#!/usr/bin/env bash
# Hookboard desktop end-to-end stories.
#
#   tests/e2e/run.sh                      # every story in tests/e2e/stories/
#   tests/e2e/run.sh 01-first-start       # only the stories whose file name contains a word
#
# 1. builds the app with `cargo build` (the default `custom-protocol` feature embeds ui/dist);
# 2. installs the WebdriverIO client (tests/e2e/package-lock.json) when needed;
# 3. starts Xvfb on a free display;
# 4. runs the stories with node's test runner inside tests/with-keyring.sh (a private D-Bus
#    session with an unlocked GNOME Keyring, so connector secrets go to a real keyring).
#    Each story starts its own tauri-driver (free ports) on a fresh HOOKBOARD_DATA_DIR, with
#    HOOKBOARD_DIALOG_PATH in place of the native file dialogs, and saves a screenshot to
#    tests/e2e/artifacts/<story>.png;
# 5. stops everything it started and exits non-zero when a story fails.
#
# Needs: cargo, node + npm, Xvfb, tauri-driver (`cargo install tauri-driver --locked`),
# WebKitWebDriver (Debian: webkit2gtk-driver), dbus-run-session and gnome-keyring.
# With CI=true a missing tool fails the run; otherwise the run is skipped, loudly.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
export PATH="$HOME/.cargo/bin:$PATH"

ci=false
[ "${CI:-}" = "true" ] && ci=true

missing=()
need() {
    command -v "$1" >/dev/null 2>&1 || missing+=("$1 ($2)")
}
need cargo "rustup.rs"
need node "apt-get install nodejs"
need npm "apt-get install npm"
need Xvfb "apt-get install xvfb"
need WebKitWebDriver "apt-get install webkit2gtk-driver"
need dbus-run-session "apt-get install dbus"
need dbus-send "apt-get install dbus"
need gnome-keyring-daemon "apt-get install gnome-keyring"
if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "e2e: tauri-driver not found: installing it (cargo install tauri-driver --locked)" >&2
    cargo install tauri-driver --locked >&2 || true
    need tauri-driver "cargo install tauri-driver --locked"
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "##################################################################" >&2
    for tool in "${missing[@]}"; do echo "e2e: missing tool: $tool" >&2; done
    if $ci; then
        echo "e2e: FAILED: the end-to-end stories cannot run without these tools" >&2
        echo "##################################################################" >&2
        exit 1
    fi
    echo "e2e: SKIP: the desktop end-to-end stories did NOT run" >&2
    echo "##################################################################" >&2
    exit 0
fi

echo "e2e: building the app (cargo build)" >&2
cargo build
app="${CARGO_TARGET_DIR:-$repo/target}/debug/hookboard"
[ -x "$app" ] || { echo "e2e: $app was not built" >&2; exit 1; }
export HOOKBOARD_E2E_APP="$app"

# shellcheck source=tests/e2e/lib/xvfb.sh
source "$here/lib/xvfb.sh"
e2e_install_client e2e "$here"
e2e_start_xvfb e2e

stories=()
for file in "$here"/stories/*.test.js; do
    if [ "$#" -eq 0 ]; then
        stories+=("$file")
    else
        for word in "$@"; do
            case "$(basename "$file")" in *"$word"*) stories+=("$file"); break ;; esac
        done
    fi
done
[ "${#stories[@]}" -gt 0 ] || { echo "e2e: no story matches: $*" >&2; exit 1; }

mkdir -p "$here/artifacts"
set +e
# --test-force-exit: a story whose app window died (WebDriver "invalid session id") can leave
# a handle open in its process; the story is reported failed and the run goes on instead of
# waiting for ever.
"$repo/tests/with-keyring.sh" node --test --test-concurrency=1 --test-force-exit "${stories[@]}"
status=$?
set -e
echo "e2e: screenshots in tests/e2e/artifacts/" >&2
exit "$status"
