#!/usr/bin/env python3
"""Solves an exported match round with OR-Tools and scipy, to compare with our solver.

    PY=$(scripts/bench/venv.sh)
    "$PY" scripts/bench/compare_solvers.py --pairs FILE [--expect-total N] [--skip-scipy]

The round is a maximum-weight b-matching: each offer has a number of positions, each
candidate is placed at most once, and only the listed (feasible) pairs may be matched.
The optimum is the largest sum of scores; leaving a position empty is always allowed.

Input format, version 1 (ASCII, one item a line, fields separated by one space, every
line ending in a newline; the Swift benchmark writes it, scripts/bench/make_pairs.py
makes random ones):

    veerkracht-match-pairs 1
    offers <O> candidates <C> pairs <P>
    <capacity of offer 0>
    ...                                      O lines, integers >= 0 (positions)
    <offerIndex> <candidateIndex> <scoreMicros>
    ...                                      P lines

offerIndex is in 0..O-1, candidateIndex in 0..C-1, scoreMicros (the score in millionths)
in 0..1_000_000; a pair (offer, candidate) appears at most once; the order of the pair
lines is free.

Output: one JSON object on stdout (progress and errors go to stderr):

    {"pairs": P, "offers": O, "candidates": C, "parseSeconds": s,
     "ortools": {"total": N, "matched": M, "solveSeconds": s, "buildAndSolveSeconds": s},
     "scipy": {"total": N, "solveSeconds": s, "buildAndSolveSeconds": s} or null,
     "solversAgree": true|false|null, "matchesExpected": true|false|null}

- ortools: SimpleMinCostFlow on source -> offer (capacity = positions) -> candidate
  (capacity 1, cost -score) -> sink (capacity 1), with a source -> sink bypass arc of cost 0
  so that no unit is forced through a pair; supply = min(positions, C). total = -cost,
  matched = pairs that carry flow. solveSeconds is solve() alone; buildAndSolveSeconds
  adds building the graph.
- scipy: linear_sum_assignment(maximize=True) on a dense positions x candidates matrix (an
  offer with k positions gives k identical rows; infeasible = 0); total = sum of the
  chosen positive entries. buildAndSolveSeconds adds filling the matrix. The matrix is
  positions x candidates float64 (about 290 MB at 3000 offers x 8000 candidates, where
  make_pairs.py's instance solves in about 3 s); --skip-scipy leaves it out ("scipy": null).
- solversAgree: both totals equal (null with --skip-scipy); matchesExpected: every total
  that was computed equals --expect-total (null without it).

Exit status: 0; 1 when the solvers disagree or a total differs from --expect-total;
2 for a malformed file or a solver failure. Needs numpy, scipy and ortools (venv.sh).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time

import numpy as np

MAGIC = b"veerkracht-match-pairs 1"
MAX_SCORE = 1_000_000


class InputError(Exception):
    pass


def say(message: str) -> None:
    print(f"compare_solvers: {message}", file=sys.stderr, flush=True)


def parse(path: str):
    """(capacities[O], offer[P], candidate[P], score[P], C), all int64 arrays but C."""
    with open(path, "rb") as f:
        data = f.read()

    lines_end = 0

    def next_line() -> bytes:
        nonlocal lines_end
        end = data.find(b"\n", lines_end)
        if end < 0:
            raise InputError("unexpected end of file (every line must end in a newline)")
        line = data[lines_end:end]
        lines_end = end + 1
        return line

    if next_line() != MAGIC:
        raise InputError(f"the first line must be {MAGIC.decode()!r}")
    header = next_line().split(b" ")
    if len(header) != 6 or header[0::2] != [b"offers", b"candidates", b"pairs"]:
        raise InputError("the second line must be 'offers <O> candidates <C> pairs <P>'")
    try:
        offers, candidates, pair_count = (int(v) for v in header[1::2])
    except ValueError:
        raise InputError("O, C and P must be integers") from None
    if min(offers, candidates, pair_count) < 0:
        raise InputError("O, C and P must not be negative")

    start = lines_end
    for _ in range(offers):
        next_line()
    capacities = read_ints(data[start:lines_end], offers, 1, "capacity").reshape(-1)
    if (capacities < 0).any():
        raise InputError("a capacity is negative")

    pairs = read_ints(data[lines_end:], pair_count, 3, "pair")
    offer, candidate, score = (np.ascontiguousarray(pairs[:, i]) for i in range(3))
    if pair_count:
        if offer.min() < 0 or offer.max() >= offers:
            raise InputError(f"an offerIndex is outside 0..{offers - 1}")
        if candidate.min() < 0 or candidate.max() >= candidates:
            raise InputError(f"a candidateIndex is outside 0..{candidates - 1}")
        if score.min() < 0 or score.max() > MAX_SCORE:
            raise InputError(f"a scoreMicros is outside 0..{MAX_SCORE}")
        # Sort and compare neighbours: numpy 2's hashing np.unique took 0.9 s at 1.2 M pairs.
        keys = np.sort(offer * candidates + candidate)
        if (keys[1:] == keys[:-1]).any():
            raise InputError("a pair (offerIndex, candidateIndex) appears twice")
    return capacities, offer, candidate, score, candidates


def read_ints(section: bytes, rows: int, columns: int, what: str) -> np.ndarray:
    """rows lines of columns integers each; loadtxt checks every line's field count."""
    if rows == 0:
        if section.strip():
            raise InputError(f"text after the last {what} line")
        return np.zeros((0, columns), dtype=np.int64)
    try:
        values = np.loadtxt(io.BytesIO(section), dtype=np.int64, delimiter=" ", ndmin=2)
    except ValueError as error:
        raise InputError(f"malformed {what} line: {error}") from None
    if values.shape != (rows, columns):
        raise InputError(
            f"expected {rows} {what} lines of {columns} integers, found {values.shape[0]} "
            f"lines of {values.shape[1]}"
        )
    return values


def solve_ortools(capacities, offer, candidate, score, candidates) -> dict:
    from ortools.graph.python import min_cost_flow

    build_start = time.perf_counter()
    offers = capacities.size
    source, sink = 0, offers + candidates + 1
    first_offer, first_candidate = 1, offers + 1
    supply = int(min(int(capacities.sum()), candidates))

    offer_nodes = np.arange(first_offer, first_offer + offers, dtype=np.int32)
    candidate_nodes = np.arange(first_candidate, first_candidate + candidates, dtype=np.int32)
    pair_count = offer.size
    # Arc order: the pairs first (arc i is pair i), then source -> offer, candidate -> sink,
    # and the bypass.
    tails = np.concatenate((
        (offer + first_offer).astype(np.int32),
        np.full(offers, source, dtype=np.int32),
        candidate_nodes,
        np.array([source], dtype=np.int32),
    ))
    heads = np.concatenate((
        (candidate + first_candidate).astype(np.int32),
        offer_nodes,
        np.full(candidates, sink, dtype=np.int32),
        np.array([sink], dtype=np.int32),
    ))
    arc_capacities = np.concatenate((
        np.ones(pair_count, dtype=np.int64),
        capacities.astype(np.int64),
        np.ones(candidates, dtype=np.int64),
        np.array([supply], dtype=np.int64),
    ))
    costs = np.concatenate((-score.astype(np.int64), np.zeros(offers + candidates + 1, dtype=np.int64)))

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_capacities, costs)
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([supply, -supply], dtype=np.int64)
    )
    solve_start = time.perf_counter()
    status = flow.solve()
    end = time.perf_counter()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min cost flow ended with status {status}")

    total = -int(flow.optimal_cost())
    pair_flow = np.asarray(flow.flows(np.arange(pair_count, dtype=np.int32)))
    # A self-check of the reading of the result: the flowing pairs' scores add up to -cost.
    if int(score[pair_flow > 0].sum()) != total:
        raise RuntimeError("OR-Tools: the flowing pairs' scores do not add up to -cost")
    return {
        "total": total,
        "matched": int((pair_flow > 0).sum()),
        "solveSeconds": round(end - solve_start, 4),
        "buildAndSolveSeconds": round(end - build_start, 4),
    }


def solve_scipy(capacities, offer, candidate, score, candidates) -> dict:
    from scipy.optimize import linear_sum_assignment

    build_start = time.perf_counter()
    first_row = np.concatenate(([0], np.cumsum(capacities)))
    rows = int(first_row[-1])
    total = 0
    solve_start = build_start
    if rows and candidates:
        matrix = np.zeros((rows, candidates), dtype=np.float64)
        values = score.astype(np.float64)
        for k in range(int(capacities.max())):
            # The k-th position of every offer that has one: the same scores again.
            has = capacities[offer] > k
            matrix[first_row[offer[has]] + k, candidate[has]] = values[has]
        solve_start = time.perf_counter()
        row_index, column_index = linear_sum_assignment(matrix, maximize=True)
        chosen = matrix[row_index, column_index]
        # Scores are integers below 2**53, so the float sum is exact.
        total = int(chosen[chosen > 0].sum())
    end = time.perf_counter()
    return {
        "total": total,
        "solveSeconds": round(end - solve_start, 4),
        "buildAndSolveSeconds": round(end - build_start, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Solve an exported match round with OR-Tools and scipy.",
        epilog="The file format and the output are described at the top of this script.",
    )
    parser.add_argument("--pairs", required=True, metavar="FILE", help="the exported round")
    parser.add_argument("--expect-total", type=int, metavar="N",
                        help="the optimum our solver found, in micros")
    parser.add_argument("--skip-scipy", action="store_true",
                        help="leave out the dense assignment (memory: positions x candidates x 8 bytes)")
    args = parser.parse_args()

    try:
        parse_start = time.perf_counter()
        capacities, offer, candidate, score, candidates = parse(args.pairs)
        parse_seconds = time.perf_counter() - parse_start
    except (OSError, InputError) as error:
        say(f"error: {args.pairs}: {error}")
        return 2
    say(f"parsed {offer.size} pairs in {parse_seconds:.3f} s")

    result = {
        "pairs": int(offer.size),
        "offers": int(capacities.size),
        "candidates": int(candidates),
        "parseSeconds": round(parse_seconds, 4),
    }
    try:
        result["ortools"] = solve_ortools(capacities, offer, candidate, score, candidates)
        say(f"ortools: total {result['ortools']['total']} in {result['ortools']['solveSeconds']} s")
        if args.skip_scipy:
            result["scipy"] = None
        else:
            say("scipy: dense linear_sum_assignment")
            result["scipy"] = solve_scipy(capacities, offer, candidate, score, candidates)
            say(f"scipy: total {result['scipy']['total']} in {result['scipy']['solveSeconds']} s")
    except (RuntimeError, MemoryError) as error:
        say(f"error: {error}")
        return 2

    totals = [result["ortools"]["total"]]
    if result["scipy"] is not None:
        totals.append(result["scipy"]["total"])
    result["solversAgree"] = None if len(totals) == 1 else totals[0] == totals[1]
    result["matchesExpected"] = (
        None if args.expect_total is None else all(t == args.expect_total for t in totals)
    )
    print(json.dumps(result))
    return 1 if False in (result["solversAgree"], result["matchesExpected"]) else 0


if __name__ == "__main__":
    sys.exit(main())
