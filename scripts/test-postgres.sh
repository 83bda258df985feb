#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/test-postgres.sh start DIR     fresh cluster in DIR/data, socket in DIR, no TCP
#   scripts/test-postgres.sh stop DIR      fast shutdown (no error when not running)
#   scripts/test-postgres.sh restart DIR   fast restart, same settings
#   scripts/test-postgres.sh resume DIR    start the stopped cluster in DIR again
#   scripts/test-postgres.sh url DIR       print the connection URL
#   scripts/test-postgres.sh run -- CMD…   temp cluster around CMD, always cleaned up;
#                                          CMD sees VEERKRACHT_TEST_DATABASE_URL,
#                                          VEERKRACHT_TEST_PG_DIR and PGHOST/PGUSER/…;
#                                          exits with CMD's status
#
#   VEERKRACHT_PG_DURABLE=1 at start/run   fsync, synchronous_commit and full_page_writes on,
#                                          as in production (scripts/bench.sh sets it)
#
# By default settings favour speed over durability (fsync=off …): never point this at real data.
set -euo pipefail

PORT=5432

say() { echo "test-postgres: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# The server binaries: pg_config's bindir when it holds them (Debian's pg_config comes
# with libpq-dev even without a server), else the highest /usr/lib/postgresql/N/bin.
find_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return
        fi
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1 || true)
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
        echo "$dir"
        return
    fi
    die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them with:
    apt-get install -y postgresql libpq-dev      (as root, or with sudo)"
}

# initdb and postgres refuse to run as root: run them as the postgres system user then.
# From / so that an unreadable current folder (say /root) causes no warnings.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# pg_ctl start/restart leave the server running with every descriptor we inherited.
# Foundation's Process (Linux) learns that its child ended when a socket it handed to the
# child closes, so a Swift caller of this script would wait until the server stops. Hence
# pg_ctl runs in a subshell that first closes everything above stderr.
pg_ctl_detached() {
    (
        local fd
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if (( fd > 2 )); then eval "exec $fd>&-"; fi
        done
        as_pg "$@"
    )
}

# Absolute path of DIR, which need not exist yet.
absolute() {
    local dir=$1
    [[ $dir == /* ]] || dir="$PWD/$dir"
    # Drop trailing slashes so DIR/.s.PGSQL.5432 is measured as the server sees it.
    while [[ $dir == */ && $dir != / ]]; do dir=${dir%/}; done
    echo "$dir"
}

# A unix socket path is limited to 107 bytes; keep a margin.
check_socket_length() {
    local socket="$1/.s.PGSQL.$PORT"
    if (( ${#socket} > 100 )); then
        die "socket path $socket is ${#socket} characters; the limit is 100.
    Choose a shorter DIR (for example one made by: mktemp -d /tmp/vkpg.XXXXXX)."
    fi
}

# As root the postgres user must be able to reach DIR (which it will own): name the first
# parent folder it cannot enter.
check_parents_traversable() {
    local parent=${1%/*} path="" part parts
    id postgres >/dev/null 2>&1 || die "there is no postgres system user. Install PostgreSQL with:
    apt-get install -y postgresql libpq-dev"
    IFS=/ read -ra parts <<<"${parent#/}"
    for part in "${parts[@]}"; do
        [[ -n $part ]] || continue
        path="$path/$part"
        if ! runuser -u postgres -- test -x "$path"; then
            die "the postgres user cannot enter $path.
    Fix: chmod o+x $path   (or use a DIR under /tmp)"
        fi
    done
}

# DIR, percent-encoded for the query string of a URL (slashes may stay).
url_encode() {
    local s=$1 out="" c i
    for (( i = 0; i < ${#s}; i++ )); do
        c=${s:i:1}
        case $c in
            [A-Za-z0-9._~/-]) out+=$c ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    echo "$out"
}

cmd_url() {
    local dir
    dir=$(absolute "$1")
    echo "postgres://postgres@localhost/postgres?host=$(url_encode "$dir")"
}

cmd_start() {
    local dir bindir locale_flag
    dir=$(absolute "$1")
    check_socket_length "$dir"
    bindir=$(find_bindir)
    [[ ! -e $dir/data ]] || die "$dir/data already exists; stop and remove it, or use another DIR"

    # Tests need no crash safety and run faster without it; benchmarks must pay for every
    # commit's flush as production does. Anything but 0/1 is refused: a typo must not
    # silently measure the fast cluster.
    local durability
    case ${VEERKRACHT_PG_DURABLE:-0} in
        0 | "") durability=off ;;
        1) durability=on ;;
        *) die "VEERKRACHT_PG_DURABLE must be 1 or 0, not '$VEERKRACHT_PG_DURABLE'" ;;
    esac

    mkdir -p "$dir"
    chmod 0700 "$dir"
    if [[ $EUID -eq 0 ]]; then
        check_parents_traversable "$dir"
        chown postgres: "$dir"
    fi

    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale_flag=--locale=C.UTF-8
    else
        locale_flag=--no-locale
    fi
    say "initdb in $dir/data ($bindir, $locale_flag)"
    if ! as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        "$locale_flag" >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi

    # In postgresql.conf (the last setting wins), so that restart keeps them.
    as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# test-postgres.sh: a throwaway cluster, reachable only through the socket in $dir
listen_addresses = ''
unix_socket_directories = '${dir//\'/\'\'}'
port = $PORT
fsync = $durability
synchronous_commit = $durability
full_page_writes = $durability
max_connections = 300
shared_buffers = 256MB
EOF

    say "starting (log: $dir/postgres.log, fsync/synchronous_commit/full_page_writes $durability)"
    if ! pg_ctl_detached "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -t 60 >/dev/null; then
        tail -n 30 "$dir/postgres.log" >&2 || true
        die "the server did not start"
    fi
    wait_ready "$dir" "$bindir"
    say "ready: $(cmd_url "$dir")"
}

# pg_ctl -w already waits; pg_isready confirms the socket answers.
wait_ready() {
    local dir=$1 bindir=$2 i
    for (( i = 0; i < 100; i++ )); do
        if "$bindir/pg_isready" -q -h "$dir" -p "$PORT" -U postgres; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$dir/postgres.log" >&2 || true
    die "the server does not accept connections on $dir"
}

cmd_stop() {
    local dir bindir
    dir=$(absolute "$1")
    bindir=$(find_bindir)
    if [[ -f $dir/data/postmaster.pid ]] && as_pg "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1; then
        say "stopping $dir"
        as_pg "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null
    else
        say "not running: $dir"
    fi
}

# pg_ctl ACTION (start or restart) on the existing cluster in DIR.
existing_cluster() {
    local action=$1 dir bindir
    dir=$(absolute "$2")
    bindir=$(find_bindir)
    [[ -f $dir/data/PG_VERSION ]] || die "no cluster in $dir/data; use: $0 start $dir"
    say "$action $dir"
    local mode=()
    [[ $action == restart ]] && mode=(-m fast)
    if ! pg_ctl_detached "$bindir/pg_ctl" "$action" -D "$dir/data" -l "$dir/postgres.log" "${mode[@]}" -w -t 60 >/dev/null; then
        tail -n 30 "$dir/postgres.log" >&2 || true
        die "the server did not $action"
    fi
    wait_ready "$dir" "$bindir"
}

cmd_restart() { existing_cluster restart "$1"; }
cmd_resume() { existing_cluster start "$1"; }

cmd_run() {
    [[ ${1:-} != -- ]] || shift
    (( $# > 0 )) || usage

    RUN_DIR=$(mktemp -d /tmp/vkpg.XXXXXX)
    # Always stop the server and remove the folder: on success, failure and Ctrl-C.
    trap 'cleanup_run' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    cmd_start "$RUN_DIR"
    export VEERKRACHT_TEST_PG_DIR=$RUN_DIR
    VEERKRACHT_TEST_DATABASE_URL=$(cmd_url "$RUN_DIR")
    export VEERKRACHT_TEST_DATABASE_URL
    # libpq's defaults too, so that plain psql and pgbench reach the same server.
    export PGHOST=$RUN_DIR PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres

    say "running: $*"
    local status=0
    "$@" || status=$?
    say "command exited with status $status"
    exit "$status"
}

cleanup_run() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n ${RUN_DIR:-} && -d $RUN_DIR ]]; then
        cmd_stop "$RUN_DIR" || true
        rm -rf -- "$RUN_DIR"
        say "removed $RUN_DIR"
    fi
    exit "$status"
}

main() {
    local sub=${1:-}
    (( $# > 0 )) && shift
    case $sub in
        start | stop | restart | resume | url)
            (( $# == 1 )) || usage
            "cmd_$sub" "$1"
            ;;
        run) cmd_run "$@" ;;
        *) usage ;;
    esac
}

main "$@"
