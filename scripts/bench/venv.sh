#!/usr/bin/env bash
# A private Python for scripts/bench/*.py: .build-bench/venv with pinned numpy, scipy and
# ortools from PyPI. Prints the venv's python path on stdout; creates and installs only
# what is missing, so a second call is silent and quick.
#
#   PY=$(scripts/bench/venv.sh) && "$PY" scripts/bench/compare_solvers.py --pairs FILE
#
# The pins are the newest releases that install for Python 3.11 (checked with
# pip index versions); a pin change reinstalls on the next call.
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=$PWD/.build-bench
VENV=$OUT/venv
PINS=(numpy==2.4.6 scipy==1.17.1 ortools==9.15.6755)

say() { echo "bench-venv: $*" >&2; }

# The installed versions, in PINS' form; empty when the venv or a package is missing.
installed() {
    "$VENV/bin/python" - 2>/dev/null <<'PY' || true
import importlib.metadata as m
print(" ".join(f"{n}=={m.version(n)}" for n in ("numpy", "scipy", "ortools")))
PY
}

if [[ $(installed) != "${PINS[*]}" ]]; then
    mkdir -p "$OUT"
    say "installing ${PINS[*]} into $VENV (log: $OUT/pip.log)"
    if [[ ! -x $VENV/bin/python ]]; then
        python3 -m venv "$VENV" || {
            say "error: python3 -m venv failed; install it with: apt-get install -y python3-venv"
            exit 2
        }
    fi
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
        "${PINS[@]}" >"$OUT/pip.log" 2>&1; then
        tail -n 20 "$OUT/pip.log" >&2
        say "error: pip install ${PINS[*]} failed"
        exit 2
    fi
fi

echo "$VENV/bin/python"
