#!/usr/bin/env bash
# Installs what building, testing and running Veerkracht need from Debian's packages:
# the PostgreSQL server (initdb, pg_ctl, postgres) and libpq's headers.
#
#   scripts/setup.sh          postgresql, libpq-dev
#   scripts/setup.sh --bench  also wrk (HTTP load) for the benchmarks; pgbench comes with postgresql
#
# Installs only what is missing. As root it runs apt-get; otherwise it prints the command.
set -euo pipefail

say() { echo "setup: $*" >&2; }

bench=false
case ${1:-} in
    "") ;;
    --bench) bench=true ;;
    *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

# The server binaries: pg_config's bindir (pg_config itself comes with libpq-dev), or any
# /usr/lib/postgresql/N/bin.
have_server() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null || true)
    [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]] && return 0
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

packages=()
if ! command -v pg_config >/dev/null 2>&1 || [[ ! -f /usr/include/postgresql/libpq-fe.h ]]; then
    packages+=(libpq-dev)
fi
if ! have_server || ! command -v psql >/dev/null 2>&1; then
    packages+=(postgresql)
fi
if $bench && ! command -v wrk >/dev/null 2>&1; then
    packages+=(wrk)
fi

if (( ${#packages[@]} == 0 )); then
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    say "missing Debian packages: ${packages[*]}. Install them with:"
    echo "    sudo apt-get install -y ${packages[*]}" >&2
    exit 1
fi

say "installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
