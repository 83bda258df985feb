#!/usr/bin/env bash
# The benchmarks, built for release in .build-release (apart from the debug build in .build),
# against one throwaway PostgreSQL (scripts/test-postgres.sh) for both.
# Every benchmark runs on a durable cluster (VEERKRACHT_PG_DURABLE=1: fsync etc. on), as production does.
#
#   scripts/bench.sh                  pool, http, then cases, with their default durations
#   scripts/bench.sh --seconds 5      extra arguments go to both subcommands
#   scripts/bench.sh --run ARGS…      (internal) skip the build; run inside test-postgres.sh
#
# Needs wrk and pgbench: scripts/setup.sh --bench.
set -euo pipefail

cd "$(dirname "$0")/.."
SCRATCH=.build-release
# Commits cost what they cost in production: the speed settings of the test cluster would
# flatter every write-heavy figure.
export VEERKRACHT_PG_DURABLE=1

if [[ ${1:-} != --run ]]; then
    # One build of the whole package: the benchmarks and the server binary the http benchmark
    # starts, with the Swift runtime linked in as deploy/Dockerfile builds it (calls into the
    # runtime are direct then; GET /v1/me measured 14-35 % faster than with shared libraries).
    echo "bench: swift build -c release --static-swift-stdlib --scratch-path $SCRATCH" >&2
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH"
    exec scripts/test-postgres.sh run -- "$0" --run "$@"
fi
shift

BIN=$SCRATCH/release
"$BIN/VeerkrachtBenchmarks" pool "$@"
echo
"$BIN/VeerkrachtBenchmarks" http "$@"
echo
"$BIN/VeerkrachtBenchmarks" cases "$@"
