#!/usr/bin/env bash
# Probes of the command-line examples: each runs an example binary on a small input
# under tests/data/probes/ (or with a flag) and checks its exit status AND the text of
# what it prints, so that a user's first run meets a clear message, never a panic, a
# `Debug` dump or an empty table with exit 0.
#
#   tests/examples/probes.sh        # builds the examples once (release), runs every probe
#
# The binaries are taken from ${CARGO_TARGET_DIR:-target}/release/examples/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo build --release --examples --features charts --quiet || { echo "probes: cargo build --release --examples --features charts failed" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-target}/release/examples"
data=tests/data/probes
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0

# A probe failed: say which and what the example printed.
fail() {
  local name=$1 why=$2
  failed=$((failed + 1))
  echo "FAIL $name: $why"
  echo "  stdout (first lines):"; head -n 5 "$scratch/out" | sed 's/^/    /'
  echo "  stderr (first lines):"; head -n 5 "$scratch/err" | sed 's/^/    /'
}

# probe NAME STATUS STREAM TEXT -- EXAMPLE ARGS...
# Runs the example; passes when it exits with STATUS and STREAM (stdout or stderr)
# contains TEXT (a fixed string). Nothing may panic.
probe() {
  local name=$1 want=$2 stream=$3 text=$4
  shift 5
  local example=$1
  shift
  "$bin/$example" "$@" >"$scratch/out" 2>"$scratch/err" </dev/null
  local status=$?
  local file="$scratch/out"
  [[ "$stream" == stderr ]] && file="$scratch/err"
  if [[ $status -ne $want ]]; then
    fail "$name" "exit status $status, expected $want"
  elif grep -q "panicked" "$scratch/err"; then
    fail "$name" "a panic on stderr"
  elif ! grep -qF -- "$text" "$file"; then
    fail "$name" "$stream does not contain: $text"
  else
    passed=$((passed + 1))
    echo "ok   $name"
  fi
}

# pipe_probe NAME HEAD_ARGS -- EXAMPLE ARGS...
# Runs the example into `head HEAD_ARGS`, which closes the pipe early; passes when the
# example exits 0, prints no panic and `head` got output.
pipe_probe() {
  local name=$1 head_args=$2
  shift 3
  local example=$1
  shift
  # shellcheck disable=SC2086 # HEAD_ARGS is split on purpose
  "$bin/$example" "$@" 2>"$scratch/err" </dev/null | head $head_args >"$scratch/out"
  local status=${PIPESTATUS[0]}
  if [[ $status -ne 0 ]]; then
    fail "$name" "exit status $status of $example, expected 0"
  elif grep -q "panicked" "$scratch/err"; then
    fail "$name" "a panic on stderr"
  elif [[ ! -s "$scratch/out" ]]; then
    fail "$name" "no output before the pipe closed"
  else
    passed=$((passed + 1))
    echo "ok   $name"
  fi
}

as_of=(--as-of 2024-12-31)

# ---- segment --------------------------------------------------------------------------
probe "segment: empty file" 1 stderr \
  "\`$data/empty.csv\` is empty: expected a header line such as \`id,customer,placed_at,amount,currency,status,refunded\`" \
  -- segment --orders "$data/empty.csv" "${as_of[@]}"
probe "segment: header only" 1 stderr \
  "\`$data/header_only.csv\` has a header line but no orders: expected one row per order after it" \
  -- segment --orders "$data/header_only.csv" "${as_of[@]}"
probe "segment: byte-order mark" 0 stdout \
  "7,11,2,288.00,0.000000,5,1,5,New Customers,high_value_active,new" \
  -- segment --orders "$data/bom.csv" "${as_of[@]}"
probe "segment: quoted amount" 0 stdout \
  "7,11,1,1199.50,0.000000,5,1,5,New Customers,mid_value_active,new" \
  -- segment --orders "$data/quoted_amount.csv" "${as_of[@]}"
probe "segment: more decimal places than the currency" 1 stderr \
  "$data/decimal_places.csv:2: column 4 (\`amount\`): amount \`1.234\` has more decimal places than \`CNY\` allows (2)" \
  -- segment --orders "$data/decimal_places.csv" "${as_of[@]}"
probe "segment: duplicate order id" 1 stderr \
  "segment: error: $data/duplicate_order.csv:4: duplicate order id \`1\` (first on line 2): expected each order once" \
  -- segment --orders "$data/duplicate_order.csv" "${as_of[@]}"
probe "segment: --lenient reports the rejects" 0 stderr \
  "  line 4: duplicate order id \`1\` (first on line 2): expected each order once" \
  -- segment --orders "$data/duplicate_order.csv" "${as_of[@]}" --lenient
probe "segment: --lenient segments the rest" 0 stdout \
  "7,11,2,288.00,0.000000,5,1,1,New Customers,high_value_active,new" \
  -- segment --orders "$data/duplicate_order.csv" "${as_of[@]}" --lenient
probe "segment: unknown currency" 1 stderr \
  "$data/unknown_currency.csv:3: column 5 (\`currency\`): unknown currency code \`RMB\`: expected an ISO 4217 code such as \`CNY\`, \`USD\` or \`EUR\`" \
  -- segment --orders "$data/unknown_currency.csv" "${as_of[@]}"
probe "segment: --as-of before all data" 1 stderr \
  "\`--as-of 2020-01-01\` is before every order of \`$data/bom.csv\` (the earliest is on 2024-03-05, line 4): nothing to segment" \
  -- segment --orders "$data/bom.csv" --as-of 2020-01-01
probe "segment: non-UTF-8 byte" 1 stderr \
  "$data/non_utf8.csv:3: column 6 (\`status\`): not valid UTF-8 (byte 2 of the field)" \
  -- segment --orders "$data/non_utf8.csv" "${as_of[@]}"
probe "segment: a long value is cut" 1 stderr \
  "found \`paid and then cancelled by the customer …\`" \
  -- segment --orders "$data/long_value.csv" "${as_of[@]}"
probe "segment: --help" 0 stdout \
  "placed_at (or order_date)    required  RFC 3339 instant (2024-10-21T16:50:23Z) or date (2024-10-21)" \
  -- segment --help
probe "segment: unknown option" 2 stderr \
  "segment: error: unknown option \`--order\`" \
  -- segment --order "$data/bom.csv"
probe "segment: missing file" 1 stderr \
  "segment: error: cannot read \`$data/missing.csv\`" \
  -- segment --orders "$data/missing.csv" "${as_of[@]}"
probe "segment: --explain one customer's tier" 0 stdout \
  "tier \`high_value_active\`: table \`tiers\`: row 1 (\`high-value active\`) decided" \
  -- segment --orders "$data/bom.csv" "${as_of[@]}" --explain 7
probe "segment: --explain an unknown customer" 1 stderr \
  "segment: error: \`--explain 9\`: customer \`9\` has no order in \`$data/bom.csv\` on or before 2024-12-31" \
  -- segment --orders "$data/bom.csv" "${as_of[@]}" --explain 9
pipe_probe "segment | head -1" "-n 1" \
  -- segment --orders examples/data/orders.csv "${as_of[@]}" --lenient

# ---- clv ------------------------------------------------------------------------------
probe "clv: zero-spend repeat buyers (note)" 0 stderr \
  "gamma_gamma: 2 of 208 repeat buyers left out (customer \`2\` (line 3) mean spend 0.00, customer \`6\` (line 7) mean spend -5.00): Gamma-Gamma needs positive monetary values" \
  -- clv --summary "$data/zero_spend.csv"
probe "clv: zero-spend repeat buyers (BG/NBD and the count in the output)" 0 stdout \
  "\"left_out\":{\"customers\":2," \
  -- clv --summary "$data/zero_spend.csv"
probe "clv: zero-spend repeat buyers (BG/NBD printed)" 0 stdout \
  "{\"bgnbd\":{\"a\":" \
  -- clv --summary "$data/zero_spend.csv"
probe "clv: transaction file with a header line" 0 stderr \
  "bgnbd: 257 customers (113 distinct rows)" \
  -- clv --transactions "$data/transactions_header.txt" --calibration-end 1997-09-30
probe "clv: duplicate customer id" 1 stderr \
  "clv: error: $data/duplicate_customer.csv:4: duplicate customer id \`1\` (first on line 2): expected one row per customer" \
  -- clv --summary "$data/duplicate_customer.csv"
probe "clv: non-UTF-8 byte" 1 stderr \
  "clv: error: $data/transactions_non_utf8.txt:3: not valid UTF-8 (byte 17 of the line)" \
  -- clv --transactions "$data/transactions_non_utf8.txt" --calibration-end 1997-09-30
probe "clv: empty file" 1 stderr \
  "\`$data/empty.csv\` is empty: expected a header line such as \`ID,frequency,recency,T\`" \
  -- clv --summary "$data/empty.csv"
probe "clv: --help" 0 stdout \
  "transaction file: whitespace-separated, with or without a header line" \
  -- clv --help
probe "clv: --transactions without --calibration-end" 2 stderr \
  "clv: error: \`--transactions\` needs \`--calibration-end YYYY-MM-DD\`" \
  -- clv --transactions "$data/transactions_header.txt"
pipe_probe "clv | head -c 100" "-c 100" -- clv

# ---- quickstart --------------------------------------------------------------------------
probe "quickstart" 0 stdout "stage: table \`stages\`" -- quickstart
probe "quickstart: --help" 0 stdout "orders.csv        id,customer,placed_at,amount,currency,status,refunded" \
  -- quickstart --help
probe "quickstart: --explain an unknown customer" 1 stderr \
  "quickstart: error: \`--explain 99999\`: customer \`99999\` is not in the segmentation" \
  -- quickstart --explain 99999
probe "quickstart: unknown option" 2 stderr "unknown option \`--verbose\`" -- quickstart --verbose
pipe_probe "quickstart | head -1" "-n 1" -- quickstart

# ---- sharded --------------------------------------------------------------------------------
probe "sharded" 0 stdout "every customer identical: sharded = single pass" -- sharded
probe "sharded: --help" 0 stdout "usage:" -- sharded --help
probe "sharded: --shards 0" 2 stderr "\`--shards 0\`: expected a number of shards from 1 to 64" -- sharded --shards 0

# ---- plan ---------------------------------------------------------------------------------
probe "plan" 0 stdout "\"actions\"" -- plan
probe "plan: --help" 0 stdout "usage: plan" -- plan --help
probe "plan: unknown option" 2 stderr "plan: error: unknown option \`--nope\`" -- plan --nope
probe "plan: missing scenario" 1 stderr "tests/data/probes/none.json" -- plan --scenario tests/data/probes/none.json
pipe_probe "plan | head -1" "-n 1" -- plan

# ---- service and kpi -----------------------------------------------------------------------
probe "service" 0 stdout "42 events, 9 cases" -- service
probe "service: --help" 0 stdout "usage: service" -- service --help
probe "service: unknown option" 1 stderr "error: unknown argument \`--nope\`" -- service --nope
probe "service: missing log" 1 stderr "tests/data/probes/none.jsonl" -- service --events tests/data/probes/none.jsonl
pipe_probe "service | head -1" "-n 1" -- service
probe "kpi" 0 stdout "scorecards for 2024-Q4" -- kpi
probe "kpi: --help" 0 stdout "usage: kpi" -- kpi --help
probe "kpi: unknown option" 1 stderr "error: unknown argument \`--nope\`" -- kpi --nope
pipe_probe "kpi | head -1" "-n 1" -- kpi

# ---- the others -----------------------------------------------------------------------
probe "rules_segments: --help" 0 stdout "usage:" -- rules_segments --help
probe "generate_data: --help" 0 stdout "usage:" -- generate_data --help

probe "sharded: --approximate 64" 0 stdout "monetary top share: largest difference" -- sharded --approximate 64
probe "sharded: --approximate 4" 2 stderr "\`--approximate 4\`: expected a sketch capacity from 8 to 1048576 values per level" -- sharded --approximate 4

# ---- report (feature `charts`) --------------------------------------------------------
probe "report: --help" 0 stdout "report: the daily job on the shop shipped in examples/data/" -- report --help
probe "report: unknown option" 2 stderr "report: error: unknown option \`--bogus\`" -- report --bogus
probe "report: writes the page" 0 stdout "$scratch/page.html" -- report --out "$scratch/page.html"

echo "probes: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
