#!/usr/bin/env bash
# Server instruction count: a measurement, NOT a test (never part of tests/run-all.sh).
#
#   tests/bench/server-instructions.sh [EVENTS]
#
# The wall-clock throughput bench (cargo bench -p hookboard-server --bench webhook_throughput)
# swings by a fifth between runs on a shared two-core machine, so a change of a few percent in
# the server's own work cannot be seen there. This script counts it instead: it runs the
# release `hookboard-server serve` under valgrind's callgrind with the demo bundle (webhook
# trigger -> HTTP request to a loopback mock API, every tenth answer a 404 -> Response switch
# -> Set field) on a fresh SQLite file, posts EVENTS events (default 1000) one at a time to
# warm it up, resets the counters, posts EVENTS more, stops the server with SIGTERM and prints
# the instructions per event of the server process, with the heaviest of its functions.
# Events go one at a time, so each event and each run commits alone: the commit's share is
# larger than under load, where commits are shared.
#
# Needs valgrind, python3 and curl; uses ${CARGO_TARGET_DIR:-target}/release/hookboard-server
# (built here with `cargo build --release -p hookboard-server`). Ports 18181 and 18190.
set -euo pipefail

events=${1:-1000}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
for tool in valgrind callgrind_annotate callgrind_control python3 curl; do
    command -v "$tool" >/dev/null || { echo "server-instructions: $tool is missing" >&2; exit 2; }
done
cargo build --release -p hookboard-server --manifest-path "$root/Cargo.toml" >&2
server="$target/release/hookboard-server"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

python3 - "$root/tests/fixtures/demo.bundle.json" "$work/bench.bundle.json" <<'EOF'
import json, sys
bundle = json.load(open(sys.argv[1]))
bundle["environments"][0]["variables"]["base_url"] = "http://127.0.0.1:18181"
bundle["event_definitions"][0]["context"] = "webhook"
json.dump(bundle, open(sys.argv[2], "w"))
EOF

python3 - <<'EOF' &
import http.server, json
count = 0
class Mock(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("content-length", 0)))
        count += 1
        status, body = (404, b'{"error":"no such list"}') if count % 10 == 0 else (
            201, json.dumps({"id": f"crm-{count}"}).encode())
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 18181), Mock).serve_forever()
EOF
pids+=($!)

HOOKBOARD_SECRET_CRM=bench-token HOOKBOARD_LOG=warn \
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$server" serve --bundle "$work/bench.bundle.json" --db "$work/bench.db" \
    --listen 127.0.0.1:18190 --env local --workers 4 --allow-private-network \
    >"$work/server.log" 2>&1 &
valgrind_pid=$!
pids+=("$valgrind_pid")
for _ in $(seq 1 120); do
    curl -sf http://127.0.0.1:18190/healthz >/dev/null && break
    sleep 0.5
done

post() {
    python3 - "$events" "$1" <<'EOF'
import http.client, json, sys
count, round_ = int(sys.argv[1]), sys.argv[2]
connection = http.client.HTTPConnection("127.0.0.1", 18190)
for i in range(count):
    body = json.dumps({"email": f"u{i}-{round_}@example.com", "signup_id": f"{round_}-{i}",
                       "first_name": "Ada", "plan": "pro"})
    connection.request("POST", "/hooks/signup", body, {"content-type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 202:
        sys.exit(f"event {i}: {answer.status}")
EOF
}
wait_for_runs() {
    for _ in $(seq 1 240); do
        [ "$(curl -sf http://127.0.0.1:18190/metrics | awk '/^hookboard_queue_depth / {print $2}')" = "0" ] && return
        sleep 0.5
    done
}

post warm
wait_for_runs
sleep 2
callgrind_control --zero "$valgrind_pid" >/dev/null 2>&1
post measured
wait_for_runs
sleep 2
kill -TERM "$valgrind_pid"
wait "$valgrind_pid" || true

total=$(callgrind_annotate "$work/callgrind.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "hookboard-server: $((total / events)) instructions per event ($events events, one at a time)"
echo "heaviest functions (instructions per event, callees included):"
callgrind_annotate --inclusive=yes "$work/callgrind.out" \
    | awk -v n="$events" '/hookboard_(server|store|engine)::/ {
        count = $1; gsub(",", "", count); name = $0; sub(/^.*\?\?\?:/, "", name); sub(/ \[.*$/, "", name);
        if (count / n >= 5000) printf "  %8d  %s\n", count / n, name }' | head -25
