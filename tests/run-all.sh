#!/usr/bin/env bash
# Every test of the project: the UI (typecheck, lint, Vitest), the Rust workspace (with a real
# GNOME Keyring for the keyring tests), the freshness of the generated TypeScript bindings, and
# the desktop end-to-end stories in the real app window.
#
#   tests/run-all.sh
#
# With CI=true a missing tool is a failure; on a laptop the keyring and end-to-end parts skip
# loudly instead.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==== %s ====\n' "$*" >&2; }

step "UI: install, typecheck, lint, unit tests"
if [ ! -d ui/node_modules ]; then
    npm --prefix ui ci --no-audit --no-fund
fi
npm --prefix ui run typecheck
npm --prefix ui run lint
npm --prefix ui test

step "Rust: cargo test --workspace (keyring tests against a private gnome-keyring)"
if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
    tests/with-keyring.sh cargo test --workspace --locked
else
    if [ "${CI:-}" = "true" ]; then
        echo "run-all: dbus-run-session or gnome-keyring-daemon is missing: the keyring tests cannot run" >&2
        exit 1
    fi
    echo "#### run-all: SKIP keyring: no dbus-run-session/gnome-keyring; keyring tests will skip loudly ####" >&2
    cargo test --workspace --locked
fi

step "Generated TypeScript bindings are up to date"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if ! git diff --exit-code --stat -- ui/src/bindings; then
        echo "run-all: ui/src/bindings is stale: commit what \`cargo test\` regenerated" >&2
        exit 1
    fi
    untracked=$(git ls-files --others --exclude-standard -- ui/src/bindings)
    if [ -n "$untracked" ]; then
        echo "run-all: new generated bindings are not committed: $untracked" >&2
        exit 1
    fi
fi

step "Desktop end-to-end stories (tauri-driver + WebKitWebDriver under Xvfb)"
tests/e2e/run.sh

step "All tests passed"
