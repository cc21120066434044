#!/usr/bin/env bash
# A cluster that lets in only its own nodes: a front and two workers with certificates from one authority run the demo
# over mutual TLS, while a process with another authority's certificate and one without TLS try to join the same seed.
# Passes when the run is exact, only the two workers' consumers took part, and the front logged the refusal.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/cluster-processes.sh

scripts/make-cluster-certs.sh "$work/certs" front worker1 worker2 > /dev/null
scripts/make-cluster-certs.sh "$work/other" intruder > /dev/null
tls() { echo --tls-cert "$work/certs/$1.pfx" --tls-ca "$work/certs/ca.pem"; }

items=3000
# --verbose: the front's log, with the refusal, goes to its stderr.
# shellcheck disable=SC2046
"$host" demo --port 0 --producers 3 --items "$items" --delay-ms 2 --consumers 2 --verbose $(tls front) > "$work/front.out" 2> "$work/front.err" &
front=$!
pids+=("$front")
await_line "$work/front.err" "workers join with" 60
seed=$(grep -o -- '--seed-nodes [0-9.]*:[0-9]*' "$work/front.err" | head -n 1 | cut -d' ' -f2)
echo "front node $front at $seed, mutual TLS"

# The intruders first, so that they knock before the run can end.
"$host" worker --seed-nodes "$seed" --tls-cert "$work/other/intruder.pfx" --tls-ca "$work/other/ca.pem" > /dev/null 2> "$work/intruder.err" &
pids+=("$!")
"$host" worker --seed-nodes "$seed" > /dev/null 2> "$work/plain.err" &
pids+=("$!")
await_line "$work/front.err" "refused the TLS connection" 60
grep -m 1 -o "refused the TLS connection.*" "$work/front.err" | cut -c 1-220
echo "a worker with another authority's certificate and one without TLS started"

for w in 1 2; do
  # shellcheck disable=SC2046
  "$host" worker --seed-nodes "$seed" $(tls "worker$w") > /dev/null 2> "$work/worker$w.err" &
  pids+=("$!")
done
await_line "$work/worker1.err" "worker: up" 60
await_line "$work/worker2.err" "worker: up" 60
echo "workers 1 and 2 up"

wait "$front"
cat "$work/front.out"
consumers=$(grep -c '^c[0-9]* consumed' "$work/front.out" || true)
if ! grep -q "^total consumed: $((3 * items)) (expected $((3 * items)))$" "$work/front.out"; then
  echo "cluster-tls: the run was not exact" >&2
  exit 1
fi
if [ "$consumers" -ne 4 ]; then
  echo "cluster-tls: $consumers consumers took part; the two workers have 4 (an intruder joined?)" >&2
  exit 1
fi
if grep -q "worker: up" "$work/intruder.err" "$work/plain.err"; then
  echo "cluster-tls: an intruder says it is up" >&2
  exit 1
fi
echo "cluster-tls: exact over mutual TLS with the two workers' 4 consumers; the intruders never joined"
