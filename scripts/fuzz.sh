#!/usr/bin/env bash
# make fuzz: schemathesis against the server, on a throwaway PostgreSQL (issue 15).
#
#   scripts/fuzz.sh            seed two entities through the API, then fuzz every operation
#                              once as an officer and once as an administrator
#
# Environment:
#   VEERKRACHT_BIN       the server binary (default .build/debug/veerkracht; this script
#                        never builds it)
#   FUZZ_MAX_EXAMPLES    examples per operation in the fuzzing phase (default 40)
#   FUZZ_SEED            the fixed seed (default 20261)
#   FUZZ_ROLES           which runs, in order (default "officer admin")
#
# The reviewed configuration, with every known false positive and its reason, is
# scripts/fuzz/schemathesis.toml. The full output goes to .build-fuzz/ (server log, one
# schemathesis log and JUnit report per role); this script prints summary lines and exits
# non-zero when schemathesis reports any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/.build-fuzz
VENV=$OUT/venv
SCHEMATHESIS_VERSION=4.32.5

say() { echo "fuzz: $*" >&2; }

BIN=${VEERKRACHT_BIN:-$ROOT/.build/debug/veerkracht}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
if [[ ! -x $BIN ]]; then
    say "error: no server binary at $BIN (run swift build first, or set VEERKRACHT_BIN)"
    exit 2
fi

mkdir -p "$OUT"

# schemathesis, pinned, in a private virtual environment; installed only when missing.
installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)
if [[ $installed != "$SCHEMATHESIS_VERSION" ]]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV (log: $OUT/pip.log)"
    if [[ ! -x $VENV/bin/python ]]; then
        python3 -m venv "$VENV" || {
            say "error: python3 -m venv failed; install it with: apt-get install -y python3-venv"
            exit 2
        }
    fi
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
        "schemathesis==$SCHEMATHESIS_VERSION" >"$OUT/pip.log" 2>&1; then
        tail -n 20 "$OUT/pip.log" >&2
        say "error: pip install schemathesis==$SCHEMATHESIS_VERSION failed"
        exit 2
    fi
fi

export VEERKRACHT_BIN=$BIN FUZZ_ROOT=$ROOT FUZZ_OUT=$OUT FUZZ_ST=$VENV/bin/st
# The driver uses the standard library only; the venv's interpreter is just a known python3.
exec scripts/test-postgres.sh run -- "$VENV/bin/python" "$ROOT/scripts/fuzz/driver.py" "$@"
