#!/usr/bin/env bash
# Runs a command against a real, private, unlocked GNOME Keyring (Secret Service).
#
#   tests/with-keyring.sh cargo test -p hookboard-secrets --features keyring
#
# The command runs inside `dbus-run-session` (a private D-Bus session bus) after a
# gnome-keyring-daemon has been started on that bus with its "secrets" component and
# a login keyring created and unlocked with a throw-away password. The keyring files
# and sockets live in a temporary directory that is removed afterwards, so your own
# keyring (~/.local/share/keyrings) is never touched. The daemon exits with the bus.
#
# Needs: dbus-run-session and dbus-send (dbus), gnome-keyring; the keyring tests also
# use secret-tool (libsecret-tools). Exits with the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    echo "  e.g. $0 cargo test -p hookboard-secrets --features keyring" >&2
    exit 2
fi

for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "with-keyring.sh: '$tool' not found; install: apt-get install dbus gnome-keyring libsecret-tools dbus-x11" >&2
        exit 127
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookboard-keyring.XXXXXX")
# The app may start xdg-document-portal, which mounts a FUSE file system at
# $XDG_RUNTIME_DIR/doc: unmount it before removing the directory. Cleanup never changes the
# command's exit status.
cleanup() {
    local status=$?
    if mountpoint -q "$tmp/runtime/doc" 2>/dev/null; then
        fusermount -u "$tmp/runtime/doc" 2>/dev/null || umount -l "$tmp/runtime/doc" 2>/dev/null || true
    fi
    rm -rf "$tmp" 2>/dev/null || echo "with-keyring.sh: could not remove $tmp completely" >&2
    exit "$status"
}
trap cleanup EXIT
chmod 700 "$tmp"
mkdir -m 700 "$tmp/runtime" "$tmp/data"
export HOOKBOARD_KEYRING_TMP="$tmp"

# XDG_RUNTIME_DIR (the daemon's control socket) is private for the whole session so
# that the daemon and any D-Bus-activated helper find each other and nothing else;
# XDG_DATA_HOME (the keyring files) is private for the daemon only, the command keeps
# the caller's.
export XDG_RUNTIME_DIR="$tmp/runtime"

set +e
dbus-run-session -- bash -c '
    set -euo pipefail
    password="hookboard-test-keyring"
    log="$HOOKBOARD_KEYRING_TMP/daemon.log"
    # The daemon chatters on stderr; its log is shown only if it fails to start.
    daemon() { XDG_DATA_HOME="$HOOKBOARD_KEYRING_TMP/data" gnome-keyring-daemon "$@" 2>>"$log"; }
    export_output() {
        # The daemon prints NAME=value lines (e.g. GNOME_KEYRING_CONTROL) to export.
        local line
        while IFS= read -r line; do
            case "$line" in
                [A-Za-z_]*=*) export "${line?}" ;;
            esac
        done <<<"$1"
    }
    fail() { echo "with-keyring.sh: $1" >&2; cat "$log" >&2; exit 1; }
    # Start the daemon and create/unlock the login keyring (the default collection)...
    out=$(printf "%s" "$password" | daemon --daemonize --unlock --components=secrets) ||
        fail "gnome-keyring-daemon --unlock failed"
    export_output "$out"
    # ...then initialise its secrets component, which claims org.freedesktop.secrets.
    out=$(daemon --start --components=secrets) || fail "gnome-keyring-daemon --start failed"
    export_output "$out"

    owned=false
    for _ in $(seq 50); do
        reply=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null) || true
        case "$reply" in
            *"boolean true"*) owned=true; break ;;
        esac
        sleep 0.1
    done
    if [ "$owned" != true ]; then
        fail "gnome-keyring-daemon did not claim org.freedesktop.secrets"
    fi
    unset HOOKBOARD_KEYRING_TMP
    echo "with-keyring.sh: Secret Service ready on $DBUS_SESSION_BUS_ADDRESS" >&2
    "$@"
' with-keyring.sh "$@"
status=$?
set -e
exit "$status"
