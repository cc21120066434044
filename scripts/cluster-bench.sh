#!/usr/bin/env bash
# The figures of docs/cluster.md, measured on this machine with worker processes on 127.0.0.1 (free ports):
#   1. demo --delay-ms 10 (I/O-bound items) with 1, 2 and 3 workers: items/s in the steady state, and the speed-up;
#   2. trivial items (--delay-ms 0) with 2 workers, against the same run all in one process;
#   3. the front node's peak memory at N and 10 x N trivial items with 2 workers;
#   4. the time from a worker's SIGKILL to the re-dispatch of its chunks (scripts/cluster-demo.sh, 3 runs);
#   5. (part tls) trivial items with 2 workers over mutual TLS against 2 plain-text workers, rounds interleaved.
# With --tls, parts 1-3 run over mutual TLS (certificates from scripts/make-cluster-certs.sh).
# Each worker hosts --consumers routees, each holding the chunk it works on and the next. I/O-bound items move in
# chunks of at most 5 (chunk-size, so a slow chunk does not hold hundreds of items), trivial ones with --buffer items
# queued and the default chunk-size (256); the run all local has the same settings, so both hold the same bound.
#
#   scripts/cluster-bench.sh [--delay-items N] [--trivial-items N] [--consumers C] [--buffer B] [--rounds R]
#                            [--parts delay,trivial,memory,kill,tls] [--tls]
# Rates across the cluster are read from the front's progress lines (one a second), between 10 % and 90 % of the items
# done, so joining the cluster and draining do not count; a run all local, too short for that, gives the items/s of its
# summary. Each cell runs R times (default 3); the median is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

delay_items=6000
trivial_items=4000000
consumers=4
buffer=1024
rounds=3
parts=delay,trivial,memory,kill
secure=0
while [ $# -gt 0 ]; do
  case "$1" in
    --delay-items) delay_items=$2; shift 2 ;;
    --trivial-items) trivial_items=$2; shift 2 ;;
    --consumers) consumers=$2; shift 2 ;;
    --buffer) buffer=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --tls) secure=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source scripts/cluster-processes.sh
scripts/make-cluster-certs.sh "$work/certs" front worker1 worker2 worker3 > /dev/null

# The TLS flags of node $1 when $secure is 1 (or $2 is given and 1).
tls_of() { [ "${2:-$secure}" -eq 1 ] && echo "--tls-cert $work/certs/$1.pfx --tls-ca $work/certs/ca.pem" || true; }

# Starts N workers (over TLS when $secure is 1, or $2 is given and 1): the first forms the cluster, the others join
# it. Sets $seed and $workers.
start_workers() {
  local n=$1 tls=${2:-$secure} i
  # shellcheck disable=SC2046
  "$host" worker $(tls_of worker1 "$tls") > /dev/null 2> "$work/worker1.err" &
  workers=("$!")
  pids+=("$!")
  await_line "$work/worker1.err" "join it with" 60
  seed=$(grep -o -- '--seed-nodes [0-9.]*:[0-9]*' "$work/worker1.err" | head -n 1 | cut -d' ' -f2)
  for i in $(seq 2 "$n"); do
    # shellcheck disable=SC2046
    "$host" worker --seed-nodes "$seed" $(tls_of "worker$i" "$tls") > /dev/null 2> "$work/worker$i.err" &
    workers+=("$!")
    pids+=("$!")
  done
  for i in $(seq 1 "$n"); do await_line "$work/worker$i.err" "worker: up" 60; done
}

stop_workers() {
  local pid
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${workers[@]}"; do wait "$pid" 2> /dev/null || true; done
  workers=()
}

# Runs the demo (extra flags in "$@"), timestamping its progress lines; prints the steady-state items/s.
rate() {
  local total=$1; shift
  "$host" demo --producers 4 --items $((total / 4)) --consumers "$consumers" "$@" 2>&1 > "$work/front.out" \
    | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$work/front.log"
  tail -n 1 "$work/front.out" | grep -q "total consumed: $total (expected $total)" || { echo "the run did not finish every item:" >&2; cat "$work/front.out" "$work/front.log" >&2; exit 1; }
  # "[hh:mm:ss] produced P, done D (…" — D between 10 % and 90 % of the total.
  awk -v total="$total" '
    / done [0-9,]+ / {
      for (i = 1; i <= NF; i++) if ($i == "done") { d = $(i + 1); gsub(",", "", d); d += 0 }
      if (d >= 0.1 * total && !t1) { t1 = $1; d1 = d }
      if (d <= 0.9 * total) { t2 = $1; d2 = d }
    }
    END { if (t2 > t1 && d2 > d1) printf "%.0f\n", (d2 - d1) / (t2 - t1); else print "n/a" }' "$work/front.log"
}

# The items/s of the last run's summary ("| produced | succeeded | failed | retried | elapsed | items/s |").
summary_rate() {
  awk -F'|' '/ s \| / { r = $7; gsub(/[ ,]/, "", r) } END { print r }' "$work/front.log"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

part() { [[ ",$parts," == *",$1,"* ]]; }

if part delay; then
echo "# delay 10 ms: $delay_items items, $consumers routees per worker"
declare -A delayed
for n in 1 2 3; do
  start_workers "$n"
  rates=()
  # shellcheck disable=SC2046
  for r in $(seq 1 "$rounds"); do rates+=("$(ActorPipeline__Demo__ChunkSize=5 rate "$delay_items" --delay-ms 10 --seed-nodes "$seed" $(tls_of front))"); done
  stop_workers
  delayed[$n]=$(printf '%s\n' "${rates[@]}" | median)
  echo "workers=$n items/s: ${rates[*]} (median ${delayed[$n]})"
done
awk -v a="${delayed[1]}" -v b="${delayed[2]}" -v c="${delayed[3]}" 'BEGIN { printf "speed-up 1 -> 2 workers: %.2fx, 1 -> 3 workers: %.2fx\n", b / a, c / a }'
fi

start_workers 2
if part trivial; then
echo "# trivial items: $trivial_items, buffer $buffer"
local_rates=(); cluster_rates=()
for r in $(seq 1 "$rounds"); do
  # The same settings, and so the same bound, as the front's.
  rate "$trivial_items" --buffer "$buffer" > /dev/null
  local_rates+=("$(summary_rate)")
  # shellcheck disable=SC2046
  cluster_rates+=("$(rate "$trivial_items" --buffer "$buffer" --seed-nodes "$seed" $(tls_of front))")
done
local_median=$(printf '%s\n' "${local_rates[@]}" | median)
cluster_median=$(printf '%s\n' "${cluster_rates[@]}" | median)
echo "all local items/s: ${local_rates[*]} (median $local_median)"
echo "2 workers items/s: ${cluster_rates[*]} (median $cluster_median)"
awk -v a="$local_median" -v b="$cluster_median" 'BEGIN { printf "2 workers / all local: %.2fx\n", b / a }'
fi

if part memory; then
echo "# front node peak memory, 2 workers, trivial items"
for total in "$trivial_items" $((10 * trivial_items)); do
  # shellcheck disable=SC2046
  /usr/bin/time -f "%M" -o "$work/front.time" "$host" demo --producers 4 --items $((total / 4)) --consumers "$consumers" --buffer "$buffer" --quiet --seed-nodes "$seed" $(tls_of front) > "$work/front.out" 2> /dev/null
  tail -n 1 "$work/front.out" | grep -q "total consumed: $total (expected $total)" || { echo "the run did not finish every item" >&2; exit 1; }
  echo "$total items: peak $(awk '{ printf "%.0f", $1 / 1024 }' "$work/front.time") MiB"
done
fi
stop_workers

if part kill; then
echo "# kill to re-dispatch (scripts/cluster-demo.sh)"
for r in $(seq 1 "$rounds"); do
  scripts/cluster-demo.sh 2> /dev/null | grep "sent again" || echo "cluster-demo run $r failed"
done
fi

if part tls; then
echo "# trivial items over mutual TLS against plain text: $trivial_items, buffer $buffer, 2 workers each, rounds interleaved"
start_workers 2 0
plain_seed=$seed; plain_workers=("${workers[@]}")
start_workers 2 1
tls_seed=$seed
plain_rates=(); tls_rates=()
for r in $(seq 1 "$rounds"); do
  plain_rates+=("$(rate "$trivial_items" --buffer "$buffer" --seed-nodes "$plain_seed")")
  # shellcheck disable=SC2046
  tls_rates+=("$(rate "$trivial_items" --buffer "$buffer" --seed-nodes "$tls_seed" $(tls_of front 1))")
done
stop_workers
workers=("${plain_workers[@]}")
stop_workers
plain_median=$(printf '%s
' "${plain_rates[@]}" | median)
tls_median=$(printf '%s
' "${tls_rates[@]}" | median)
echo "plain text items/s: ${plain_rates[*]} (median $plain_median)"
echo "mutual TLS items/s: ${tls_rates[*]} (median $tls_median)"
awk -v a="$plain_median" -v b="$tls_median" 'BEGIN { printf "TLS / plain text: %.2fx\n", b / a }'
fi
