#!/usr/bin/env python3
"""A random match round in the format of compare_solvers.py, to try that script alone.

    PY=$(scripts/bench/venv.sh)
    "$PY" scripts/bench/make_pairs.py --offers 3000 --candidates 8000 --seed 1 --out FILE

The format (veerkracht-match-pairs 1) is described at the top of compare_solvers.py.

The instance, so that it looks like a real round rather than uniform noise:
- 10 regions of unequal size; every offer and every candidate lives in one;
- each candidate is feasible for a random subset of about 5 % of the offers (the size is
  binomial(O, 0.05), so about 150 of 3000 and 1.2 million pairs at 3000 x 8000), drawn
  without replacement with offers in the candidate's own region 12 times as likely;
- score = clip(quality(candidate) + attractiveness(offer) + 0.05 in the own region + noise,
  0, 1) in millionths; clipping puts some pairs at exactly 0 and 1_000_000 (the bounds);
- capacities 1-3 (60 / 30 / 10 %), so positions (about 4 500) are fewer than candidates.
The same seed gives the same file. Needs numpy only.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

REGIONS = 10
OWN_REGION_WEIGHT = 12.0
FEASIBLE_SHARE = 0.05
# Rows of the candidates x offers key matrix per chunk (chunk x O float64 values).
CHUNK = 500


def generate(offers: int, candidates: int, seed: int):
    rng = np.random.default_rng(seed)
    region_share = rng.dirichlet(np.full(REGIONS, 2.0))
    offer_region = rng.choice(REGIONS, size=offers, p=region_share)
    candidate_region = rng.choice(REGIONS, size=candidates, p=region_share)
    capacities = rng.choice(np.array([1, 2, 3]), size=offers, p=[0.6, 0.3, 0.1])

    quality = rng.normal(0.5, 0.15, size=candidates)
    attractiveness = rng.normal(0.0, 0.1, size=offers)
    subset_size = np.minimum(rng.binomial(offers, FEASIBLE_SHARE, size=candidates), offers)

    # Weighted sampling without replacement, all rows at once: the k largest of
    # log(weight) + Gumbel noise are a weighted sample of size k (Efraimidis-Spirakis).
    log_weight = np.log(np.array([1.0, OWN_REGION_WEIGHT]))
    columns = np.arange(offers)
    offer_parts, candidate_parts = [], []
    for start in range(0, candidates, CHUNK):
        rows = np.arange(start, min(start + CHUNK, candidates))
        same = candidate_region[rows, None] == offer_region[None, :]
        keys = log_weight[same.astype(np.intp)] + rng.gumbel(size=same.shape)
        order = np.argsort(-keys, axis=1)
        chosen = columns[None, :] < subset_size[rows, None]
        picked = np.sort(np.where(chosen, order, offers), axis=1)
        picked = picked[picked < offers]
        offer_parts.append(picked)
        candidate_parts.append(np.repeat(rows, subset_size[rows]))
    offer_index = np.concatenate(offer_parts)
    candidate_index = np.concatenate(candidate_parts)

    same_region = offer_region[offer_index] == candidate_region[candidate_index]
    score = (
        quality[candidate_index]
        + attractiveness[offer_index]
        + 0.05 * same_region
        + rng.normal(0.0, 0.08, size=offer_index.size)
    )
    micros = np.rint(np.clip(score, 0.0, 1.0) * 1_000_000).astype(np.int64)

    # Offer-major order, candidates ascending within an offer.
    order = np.lexsort((candidate_index, offer_index))
    pairs = np.column_stack((offer_index[order], candidate_index[order], micros[order]))
    return capacities, pairs


def write(out, offers: int, candidates: int, capacities, pairs) -> None:
    out.write(b"veerkracht-match-pairs 1\n")
    out.write(f"offers {offers} candidates {candidates} pairs {len(pairs)}\n".encode())
    np.savetxt(out, capacities.reshape(-1, 1), fmt="%d")
    np.savetxt(out, pairs, fmt="%d")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=3000)
    parser.add_argument("--candidates", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    args = parser.parse_args()
    if args.offers < 1 or args.candidates < 1:
        parser.error("--offers and --candidates must be at least 1")

    capacities, pairs = generate(args.offers, args.candidates, args.seed)
    if args.out == "-":
        write(sys.stdout.buffer, args.offers, args.candidates, capacities, pairs)
    else:
        with open(args.out, "wb") as out:
            write(out, args.offers, args.candidates, capacities, pairs)
    print(
        f"make_pairs: {args.offers} offers ({int(capacities.sum())} positions), "
        f"{args.candidates} candidates, {len(pairs)} pairs",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
