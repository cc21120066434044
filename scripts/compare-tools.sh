#!/usr/bin/env bash
# The host's jobs side by side with the tools a user would type instead, interleaved, on the same input:
#   hash DIR             vs  find DIR -type f -print0 | xargs -0 -P$(nproc) -n 64 sha256sum
#   ingest --grep P LOG  vs  grep -c -E P LOG
#   ingest LOG           vs  wc -l LOG; grep -c -E '^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)' LOG   (one after the other)
#   demo                 vs  the host's --help (start-up alone)
# Prints the median wall time of each (and the host's peak resident memory) and the ratios; checks that the outputs
# agree (sha256sum -c accepts hash's output, ingest's counts equal grep's and wc's) and exits 1 when they do not.
#
#   scripts/compare-tools.sh [--runs N] [--dir DIR] [--log FILE] [--mb SIZE] [--pattern P] [--jit]
# DIR defaults to the .NET SDK folder (the one holding the dotnet executable); LOG to a file of about SIZE MB (225)
# made by repeating the machine's dpkg and apt logs (or generated lines where there are none).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
log=""
mb=225
pattern='status (installed|unpacked)|Setting up'
jit=0
rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
while [ $# -gt 0 ]; do
  case "$1" in
    --jit) jit=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    --pattern) pattern=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The host as it is best deployed on this machine: a Release build published with ReadyToRun (precompiled code, so
# a short process spends less of its life compiling). --jit measures the plain Release build instead.
echo "publishing the host (Release, ReadyToRun for $rid)..." >&2
if [ "$jit" = 1 ]; then
  dotnet build src/ActorPipeline.Host -c Release -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 2; }
  host=(dotnet "src/ActorPipeline.Host/bin/Release/net10.0/ActorPipeline.Host.dll")
else
  # A publish over an earlier one's intermediate files for this runtime can leave a precompiled image that no longer
  # matches its assembly (the process then aborts at start): publish from clean ones.
  find src -path "*/obj/Release/net10.0/$rid" -prune -exec rm -rf {} +
  dotnet publish src/ActorPipeline.Host -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$work/host" \
    -v quiet -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 2; }
  host=(dotnet "$work/host/ActorPipeline.Host.dll")
fi

if [ -z "$log" ]; then
  log="$work/sample.log"
  seed="$work/seed.log"
  cat /var/log/dpkg.log /var/log/apt/history.log /var/log/apt/term.log 2>/dev/null > "$seed" || true
  if [ ! -s "$seed" ]; then
    # No system logs here: lines of the same kinds, generated.
    awk 'BEGIN { split("status installed|status unpacked|status half-configured|configure|Setting up|Unpacking", k, "|");
                 for (i = 0; i < 20000; i++) printf "2026-11-27 12:%02d:%02d %s libfoo%d:amd64 1.%d\n", i % 60, i % 59, k[i % 6 + 1], i, i % 9 }' > "$seed"
  fi
  target=$((mb * 1024 * 1024))
  : > "$log"
  while [ "$(stat -c %s "$log")" -lt "$target" ]; do cat "$seed" >> "$log"; done
fi
echo "input: $dir ($(find "$dir" -type f | wc -l) files, $(du -sh "$dir" | cut -f1)); $log ($(du -h "$log" | cut -f1), $(wc -l < "$log") lines)" >&2
# Both read from the page cache, as after any first run.
find "$dir" -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true
cat "$log" > /dev/null

# time_of NAME CMD...: runs CMD, appends its wall seconds (and peak KiB) to $work/NAME, stdout to $work/NAME.out.
time_of() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" || { echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  cat "$work/$name.time" >> "$work/$name"
}

peer_ingest() { wc -l "$log" > /dev/null; grep -c -E '^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)' "$log" > /dev/null || true; }
export -f peer_ingest
export log

for round in $(seq "$runs"); do
  echo "round $round of $runs" >&2
  time_of hash "${host[@]}" hash "$dir" --quiet
  time_of xargs bash -c 'find "$0" -type f -print0 | xargs -0 -P"$(nproc)" -n 64 sha256sum' "$dir"
  time_of grep_ingest "${host[@]}" ingest "$log" --grep "$pattern" --json --quiet
  time_of grep bash -c 'grep -c -E "$1" "$0" || true' "$log" "$pattern"
  time_of ingest "${host[@]}" ingest "$log" --json --quiet
  time_of wc_grep bash -c 'peer_ingest'
  time_of demo "${host[@]}" demo --quiet
  time_of help "${host[@]}" --help
done

median() { awk '{ print $1 }' "$work/$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
peak() { awk '{ print $2 }' "$work/$1" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }'; }
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN { printf "%.2f", a / b }'; }

status=0
# The outputs must agree before the times mean anything.
if ! (cd / && sha256sum -c --quiet "$work/hash.out" > /dev/null 2>&1); then
  echo "MISMATCH: sha256sum -c does not accept hash's output" >&2; status=1
fi
if [ "$(wc -l < "$work/hash.out")" -ne "$(find "$dir" -type f | wc -l)" ]; then
  echo "MISMATCH: hash printed $(wc -l < "$work/hash.out") sums for $(find "$dir" -type f | wc -l) files" >&2; status=1
fi
total() { grep -o "\"$2\": [0-9]*" "$work/$1.out" | tail -n 1 | grep -o '[0-9]*$'; }
if [ "$(total grep_ingest matches)" != "$(cat "$work/grep.out")" ]; then
  echo "MISMATCH: ingest counted $(total grep_ingest matches) matching lines, grep -c $(cat "$work/grep.out")" >&2; status=1
fi
if [ "$(total ingest lines)" != "$(wc -l < "$log")" ]; then
  echo "MISMATCH: ingest counted $(total ingest lines) lines, wc -l $(wc -l < "$log")" >&2; status=1
fi
if [ "$(tail -n 1 "$work/demo.out")" != "total consumed: 24 (expected 24)" ]; then
  echo "MISMATCH: the demo ended with '$(tail -n 1 "$work/demo.out")'" >&2; status=1
fi

printf '\n%-34s %-55s %9s %9s %7s %9s\n' "job" "peer" "job (s)" "peer (s)" "ratio" "job MiB"
printf '%-34s %-55s %9s %9s %7s %9s\n' "hash DIR" "find | xargs -0 -P$(nproc) -n 64 sha256sum" "$(median hash)" "$(median xargs)" "$(ratio hash xargs)" "$(peak hash)"
printf '%-34s %-55s %9s %9s %7s %9s\n' "ingest --grep P LOG" "grep -c -E P LOG" "$(median grep_ingest)" "$(median grep)" "$(ratio grep_ingest grep)" "$(peak grep_ingest)"
printf '%-34s %-55s %9s %9s %7s %9s\n' "ingest LOG" "wc -l LOG; grep -c -E '^(TRACE|...|FATAL)' LOG" "$(median ingest)" "$(median wc_grep)" "$(ratio ingest wc_grep)" "$(peak ingest)"
printf '%-34s %-55s %9s %9s %7s %9s\n' "demo (seed scenario)" "--help" "$(median demo)" "$(median help)" "$(ratio demo help)" "$(peak demo)"
echo "(medians of $runs interleaved runs; P = '$pattern'; wall time of the whole process; host $([ "$jit" = 1 ] && echo 'Release build, JIT' || echo "published with ReadyToRun, $rid"))"
exit $status
