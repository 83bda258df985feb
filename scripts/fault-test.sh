#!/usr/bin/env bash
# Fault test (issue 15): creates with Idempotency-Keys from several clients while PostgreSQL
# backends are terminated and the throwaway PostgreSQL is restarted (fast) and crashed
# (immediate stop, then start); then every acknowledged create must exist exactly once, no
# answer may be a 500, every 503 must carry Retry-After, every server stdout line must be
# JSON and no log line may hold a token. The driver is scripts/fault/driver.py.
#
#   scripts/fault-test.sh [DRIVER OPTIONS…]     e.g. --clients 6 --duration 70
#
# Environment:
#   VEERKRACHT_BIN        the server binary (default .build/debug/veerkracht; not built here)
#   FAULT_KEEP            where to keep the server's log and the JSON report (default: a
#                         temporary folder, kept only when the test fails)
#
# Exits 0 when every check passed, 1 on a violation, 2 when it could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_SCRIPT="$ROOT/scripts/test-postgres.sh"

say() { echo "fault-test: $*" >&2; }
die() { say "error: $*"; exit 2; }

# Outside: run ourselves inside a throwaway cluster, which test-postgres.sh always removes.
if [[ ${1:-} != --inside-cluster ]]; then
    BIN=${VEERKRACHT_BIN:-$ROOT/.build/debug/veerkracht}
    [[ -x $BIN ]] || die "no server binary at $BIN (build it first, or set VEERKRACHT_BIN)"
    command -v python3 >/dev/null || die "python3 is needed"
    command -v psql >/dev/null || die "psql is needed (apt-get install -y postgresql-client)"
    export VEERKRACHT_BIN=$BIN
    exec "$PG_SCRIPT" run -- "$0" --inside-cluster "$@"
fi
shift

: "${VEERKRACHT_TEST_PG_DIR:?run through scripts/test-postgres.sh}"
: "${VEERKRACHT_TEST_DATABASE_URL:?run through scripts/test-postgres.sh}"
BIN=$VEERKRACHT_BIN
APP_NAME=veerkracht-fault-test

if [[ -n ${FAULT_KEEP:-} ]]; then
    WORK=$FAULT_KEEP
    mkdir -p "$WORK"
    KEEP_ALWAYS=1
else
    WORK=$(mktemp -d /tmp/vkfault.XXXXXX)
    KEEP_ALWAYS=0
fi
SERVER_PID=
STATUS=2

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            say "server did not stop on SIGTERM; SIGKILL"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if (( status == 0 && KEEP_ALWAYS == 0 )); then
        rm -rf -- "$WORK"
    else
        say "server log and report kept in $WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# The server's own connections carry this name, so that only they are terminated.
DB_URL="$VEERKRACHT_TEST_DATABASE_URL&application_name=$APP_NAME"

server_env=(
    VEERKRACHT_DATABASE_URL="$DB_URL"
    VEERKRACHT_HTTP_HOST=127.0.0.1
    VEERKRACHT_HTTP_PORT="$PORT"
    VEERKRACHT_SQL_DIR="$ROOT/sql"
    VEERKRACHT_LOG_LEVEL=info
)

say "server $BIN on $BASE (log: $WORK/server.stdout)"
(cd "$ROOT" && exec env "${server_env[@]}" "$BIN" serve) >"$WORK/server.stdout" 2>"$WORK/server.stderr" </dev/null &
SERVER_PID=$!

ready=0
for _ in $(seq 1 600); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 20 "$WORK/server.stdout" "$WORK/server.stderr" >&2 || true
        die "the server exited during start"
    fi
    if python3 - "$BASE/health/ready" <<'EOF' 2>/dev/null; then
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
EOF
        ready=1
        break
    fi
    sleep 0.2
done
(( ready )) || die "the server is not ready after 120 s"

# The first administrator and a token, through the CLI as the README shows.
ADMIN_EMAIL=fault-admin@example.org
(cd "$ROOT" && env "${server_env[@]}" "$BIN" users create --email "$ADMIN_EMAIL" --name "Fault Admin" --role admin) \
    >"$WORK/cli.log" 2>&1 || { cat "$WORK/cli.log" >&2; die "users create failed"; }
FAULT_ADMIN_TOKEN=$(cd "$ROOT" && env "${server_env[@]}" "$BIN" tokens create --user "$ADMIN_EMAIL" 2>>"$WORK/cli.log" | tail -n 1)
[[ -n $FAULT_ADMIN_TOKEN ]] || { cat "$WORK/cli.log" >&2; die "tokens create printed no secret"; }
export FAULT_ADMIN_TOKEN

# Officers, their tokens and the data to write on are made through the API by the driver.
set +e
python3 "$ROOT/scripts/fault/driver.py" \
    --base-url "$BASE" --pg-dir "$VEERKRACHT_TEST_PG_DIR" --pg-script "$PG_SCRIPT" \
    --application-name "$APP_NAME" --server-pid "$SERVER_PID" \
    --server-stdout "$WORK/server.stdout" --server-stderr "$WORK/server.stderr" \
    --report "$WORK/report.json" "$@"
STATUS=$?
set -e
exit "$STATUS"
