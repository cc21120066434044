#!/usr/bin/env bash
# Crash and resume, as users break it: for each job, an uninterrupted run's output; then, for CASES seeded random
# moments, the job run with --state and killed with SIGKILL at that moment, and run again with the same arguments and
# --state to its end. The final output must be the uninterrupted run's (for demo, its last line
# `total consumed: N (expected N)`, counted once across both runs; for hash and ingest, every line). One line per case. With
# ACTORPIPELINE_POSTGRES set (scripts/with-postgres.sh sets it), one demo case more keeps its state in that database.
#
#   scripts/crash-resume.sh [--cases N] [--seed S] [--jobs "demo hash ingest"]
set -euo pipefail
cd "$(dirname "$0")/.."

cases=10
seed=1
only="demo hash ingest"
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --jobs) only=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source scripts/cluster-processes.sh
RANDOM=$seed

# A tree for hash: 600 files in nested folders, names with a space and a dash among them.
tree="$work/tree"
for d in a b "c d" e-f g; do
  mkdir -p "$tree/$d/inner"
  for i in $(seq 1 60); do
    head -c $((i * 97)) /dev/urandom > "$tree/$d/file-$i"
    head -c 300 /dev/urandom > "$tree/$d/inner/$i.bin"
  done
done

# Logs for ingest: four files of about 3.6 MB (a few blocks each) with levels and a pattern to count, one of them also
# compressed.
logs="$work/logs"
mkdir -p "$logs"
for f in a b c d; do
  seq 1 60000 | awk -v f="$f" '{ print "2026-12-08T01:00:00 INFO " f " request " $1 " took " $1 "ms";
    if ($1 % 7 == 0) print "2026-12-08T01:00:00 ERROR timeout on " $1; if ($1 % 11 == 0) print "2026-12-08T01:00:00 WARN slow " $1 }' > "$logs/$f.log"
done
gzip -k "$logs/d.log"

# Each job slowed to a few seconds (a handler's wait, max-rate) so that a kill lands mid-run.
demo_args=(demo --items 350 --delay-ms 1)
hash_args=(hash "$tree" --max-rate 350)
ingest_args=(ingest "$logs" --grep timeout --max-rate 8)

passed=0
failed=0
read -r -a jobs <<< "$only"
if [ -n "${ACTORPIPELINE_POSTGRES:-}" ]; then jobs+=(postgres); fi
for job in "${jobs[@]}"; do
  # The PostgreSQL case is the demo's, its state in the database.
  [ "$job" = postgres ] && args=("${demo_args[@]}") || eval "args=(\"\${${job}_args[@]}\")"
  runs=$cases
  [ "$job" = postgres ] && runs=1
  start=$(date +%s%N)
  "$host" "${args[@]}" > "$work/$job.expected" 2> "$work/$job.expected.err"
  span=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$job" = demo ] || [ "$job" = postgres ]; then expected=$(tail -n 1 "$work/$job.expected"); else expected="$(wc -l < "$work/$job.expected") lines"; fi
  echo "crash-resume $job: an uninterrupted run took $span ms: $expected"
  for case in $(seq 1 "$runs"); do
    state="$work/$job-$case.db"
    [ "$job" = postgres ] && state="$ACTORPIPELINE_POSTGRES"
    started=$(date +%s%N)
    "$host" "${args[@]}" --state "$state" > /dev/null 2>&1 &
    pid=$!
    pids+=("$pid")
    # A moment in the rest of the run from 400 ms after its state file appears (the journal has started; its first write
    # follows within a few hundred ms): a kill before that only shows that a run with no state starts afresh, which a few
    # cases still show. (A PostgreSQL state has no file: the journal is taken to have started after 1.1 s.)
    if [ "$job" != postgres ]; then
      until [ -e "$state" ] || ! kill -0 "$pid" 2> /dev/null; do sleep 0.02; done
    else
      sleep 1.1
    fi
    ready=$(( ($(date +%s%N) - started) / 1000000 + 400 ))
    rest=$(( span > ready ? span - ready : 1 ))
    sleep "$(awk -v ms="$(( 400 + RANDOM * rest / 32768 ))" 'BEGIN { printf "%.3f", ms / 1000 }')"
    at=$(( ($(date +%s%N) - started) / 1000000 ))
    if kill -9 "$pid" 2> /dev/null; then killed="killed at $at ms"; else killed="ended before the kill at $at ms"; fi
    wait "$pid" 2> /dev/null || true
    set +e
    "$host" "${args[@]}" --state "$state" > "$work/$job-$case.out" 2> "$work/$job-$case.err"
    exit_code=$?
    set -e
    resumed=$(grep -o 'resumed an earlier run' "$work/$job-$case.err" > /dev/null && echo "resumed" || echo "started afresh")
    if [ "$job" = demo ] || [ "$job" = postgres ]; then got=$(tail -n 1 "$work/$job-$case.out"); same=$([ "$got" = "$expected" ] && echo 1 || echo 0)
    else got="$(wc -l < "$work/$job-$case.out") lines"; same=$(cmp -s "$work/$job.expected" "$work/$job-$case.out" && echo 1 || echo 0); fi
    if [ "$same" = 1 ] && [ "$exit_code" = 0 ]; then
      passed=$((passed + 1))
      echo "crash-resume $job case $case: $killed, $resumed: the uninterrupted run's output ($got)"
    else
      failed=$((failed + 1))
      echo "crash-resume $job case $case: $killed, $resumed: DIFFERENT output ($got, exit $exit_code)"
      diff "$work/$job.expected" "$work/$job-$case.out" | head -n 5 || true
      tail -n 3 "$work/$job-$case.err"
    fi
  done
done

echo "crash-resume: $passed of $((passed + failed)) cases ended with the output of an uninterrupted run"
[ "$failed" -eq 0 ]
