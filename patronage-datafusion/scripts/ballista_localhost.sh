#!/usr/bin/env bash
# The peer RFM job through a Ballista cluster on localhost: one scheduler and two
# executors (the examples `ballista_scheduler` and `ballista_executor`, which carry
# patronage's codec) on free ports, the job run through them (`ballista_rfm`), and its
# counts and checksum compared with the single-process run (`datafusion_rfm`).
# Every process it starts is killed on exit.
#
#   patronage-datafusion/scripts/ballista_localhost.sh [ORDERS.parquet]
#
# ORDERS defaults to tests/peer/data/orders_1m.parquet (tests/peer/check.sh writes it).
# Builds the examples in release into $CARGO_TARGET_DIR (default: target/ in the
# repository). Logs go to a temporary directory, printed on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
orders="${1:-$repo/tests/peer/data/orders_1m.parquet}"
[[ -f "$orders" ]] || { echo "ballista_localhost: $orders not found (run tests/peer/check.sh first, or pass a Parquet file)" >&2; exit 2; }
orders="$(cd "$(dirname "$orders")" && pwd)/$(basename "$orders")"
target="${CARGO_TARGET_DIR:-$repo/target}"

(cd "$repo" && cargo build --release --quiet -p patronage-datafusion \
  --example ballista_scheduler --example ballista_executor --example ballista_rfm --example datafusion_rfm)
bin="$target/release/examples"

work="$(mktemp -d)"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -ne 0 ]]; then
    echo "ballista_localhost: failed; logs:" >&2
    tail -n 20 "$work"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on now (the kernel's pick for an ephemeral bind).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something listens on 127.0.0.1:$1 (at most 60 s).
wait_port() {
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "ballista_localhost: nothing listens on port $1 after 60 s" >&2
  return 1
}

scheduler_port="$(free_port)"
"$bin/ballista_scheduler" --port "$scheduler_port" > "$work/scheduler.log" 2>&1 &
pids+=($!)
wait_port "$scheduler_port"
echo "scheduler on 127.0.0.1:$scheduler_port"

for i in 1 2; do
  port="$(free_port)"
  grpc="$(free_port)"
  mkdir -p "$work/executor$i"
  "$bin/ballista_executor" --port "$port" --grpc-port "$grpc" --scheduler-port "$scheduler_port" \
    --work-dir "$work/executor$i" --cores 1 > "$work/executor$i.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  echo "executor $i on 127.0.0.1:$port (grpc $grpc)"
done

cluster="$("$bin/ballista_rfm" --scheduler "df://127.0.0.1:$scheduler_port" --orders "$orders")"
echo "$cluster"
single="$("$bin/datafusion_rfm" --orders "$orders" --partitions 2 --no-quantile)"
echo "$single"

# The counts and checksum: everything from the first segment name to the checksum.
result() { grep -o 'Champions=.*checksum=[0-9]*'; }
if [[ "$(result <<< "$cluster")" == "$(result <<< "$single")" ]]; then
  echo "ballista_localhost: the cluster's counts and checksum equal the single-process run's"
else
  echo "ballista_localhost: the cluster's result DIFFERS from the single-process run's" >&2
  exit 1
fi
