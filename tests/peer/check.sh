#!/usr/bin/env bash
# Peer check (issue 4): the crate's `segment` example must reproduce, customer by
# customer, the RFM segmentation that pandas, polars and DuckDB compute on the peer
# workload of ../shared/bench (README.md there: the rule, the expected counts and
# checksum).
#
#   tests/peer/check.sh             # 1m orders (200,000 customers)
#   SIZE=10m tests/peer/check.sh    # 10m orders (2,000,000 customers)
#   TIMINGS=1 tests/peer/check.sh   # also print the example's parse_s / compute_s
#   THREADS=2 tests/peer/check.sh   # build the facts table on 2 threads (default 1)
#
# It creates its own Python venv under tests/peer/venv with only what the generator
# needs (numpy, pyarrow, pinned as in ../shared/bench/requirements.txt), generates the
# orders into tests/peer/data unless they are there already (same seed as the peers,
# byte-identical files), runs the example, computes the 12 segment counts and the
# checksum Σ (customer_id mod 1000003)·(100R + 10F + M) from its CSV, and fails unless
# they equal the table of ../shared/bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# ../shared beside the repository (CI); for a git worktree, beside its main checkout;
# or wherever SHARED_DIR says.
shared="${SHARED_DIR:-$repo/../shared}"
if [[ ! -d "$shared" && -z "${SHARED_DIR:-}" ]]; then
  common="$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  [[ -n "$common" ]] && shared="$(dirname "$common")/../shared"
fi
bench="$shared/bench"
size="${SIZE:-1m}"
venv="$here/venv"
data="$here/data"

[[ -f "$bench/gen_orders.py" ]] || { echo "peer check: $bench/gen_orders.py not found (expected ../shared beside the repository)" >&2; exit 2; }

case "$size" in
  100k) expected="Champions=3444 Loyal Customers=5304 Potential Loyalist=4414 New Customers=0 Promising=0 Need Attention=678 About To Sleep=1080 At Risk=2311 Can't Lose Them=0 Hibernating=1433 Lost=0 Others=1336 checksum=3309201037658" ;;
  1m) expected="Champions=35458 Loyal Customers=51867 Potential Loyalist=44131 New Customers=0 Promising=0 Need Attention=6933 About To Sleep=10896 At Risk=23610 Can't Lose Them=0 Hibernating=14176 Lost=0 Others=12929 checksum=33234193252810" ;;
  10m) expected="Champions=353193 Loyal Customers=521717 Potential Loyalist=441593 New Customers=0 Promising=0 Need Attention=67790 About To Sleep=109505 At Risk=235629 Can't Lose Them=0 Hibernating=142058 Lost=0 Others=128515 checksum=332897409597246" ;;
  *) echo "peer check: SIZE must be 100k, 1m or 10m, not '$size'" >&2; exit 2 ;;
esac

if [[ ! -x "$venv/bin/python" ]]; then
  echo "peer check: creating $venv" >&2
  python3 -m venv "$venv"
  pins=()
  for pkg in numpy pyarrow; do
    pin="$(grep -E "^$pkg==" "$bench/requirements.txt" || true)"
    [[ -n "$pin" ]] || { echo "peer check: no pin for $pkg in $bench/requirements.txt" >&2; exit 2; }
    pins+=("$pin")
  done
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
fi

orders="$data/orders_$size.csv"
if [[ ! -f "$orders" ]]; then
  echo "peer check: generating $orders" >&2
  mkdir -p "$data"
  "$venv/bin/python" "$bench/gen_orders.py" --size "$size" --seed 42 --out-dir "$data" >&2
fi

out="$data/segments_$size.csv"
timing=()
[[ -n "${TIMINGS:-}" ]] && timing=(--timings)
threads="${THREADS:-1}"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "peer check: THREADS must be a whole number of at least 1, not '$threads'" >&2; exit 2; }
(cd "$repo" && cargo run --release --quiet --example segment -- \
  --orders "$orders" --as-of 2024-12-31 --scores rank --rfm-table r-0.2 \
  --frequency-window all --threads "$threads" "${timing[@]}") > "$out"

got="$("$venv/bin/python" - "$out" <<'PY'
import csv, sys
names = ["Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
         "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating",
         "Lost", "Others"]
counts = dict.fromkeys(names, 0)
checksum = 0
with open(sys.argv[1], newline="") as f:
    rows = csv.DictReader(f)
    want = ["customer_id", "recency_days", "frequency", "monetary", "monetary_top_share",
            "r_score", "f_score", "m_score", "rfm_segment", "tier", "stage"]
    if rows.fieldnames != want:
        sys.exit(f"unexpected header {rows.fieldnames}")
    for row in rows:
        if row["rfm_segment"] not in counts:
            sys.exit(f"unexpected segment {row['rfm_segment']!r}")
        counts[row["rfm_segment"]] += 1
        score = 100 * int(row["r_score"]) + 10 * int(row["f_score"]) + int(row["m_score"])
        checksum += (int(row["customer_id"]) % 1000003) * score
print(" ".join(f"{n}={counts[n]}" for n in names) + f" checksum={checksum}")
PY
)"

if [[ "$got" != "$expected" ]]; then
  echo "peer check FAILED at $size" >&2
  echo "  expected: $expected" >&2
  echo "  got:      $got" >&2
  exit 1
fi
echo "peer check passed at $size (threads $threads): $got"
