#!/usr/bin/env bash
# The host's jobs side by side with the tools a user would type instead, interleaved, on the same input:
#   hash DIR             vs  find DIR -type f -print0 | xargs -0 -P$(nproc) -n 64 sha256sum
#   ingest --grep P LOG  vs  grep -c -E P LOG
#   ingest LOG           vs  wc -l LOG; grep -c -E '^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)' LOG   (one after the other)
#   demo                 vs  the host's --help (start-up alone)
# The host is measured twice: as users install it (the 'actor-pipeline' tool, packed by build.ps1 -Target Pack as CI
# packs it and installed with dotnet tool install) and as the Release build that 'dotnet run -c Release' runs (JIT).
# Prints the median wall time of each (and the tool's peak resident memory) and the ratios; checks that the outputs
# agree (sha256sum -c accepts hash's output, ingest's counts equal grep's and wc's) and exits 1 when they do not.
#
#   scripts/compare-tools.sh [--runs N] [--dir DIR] [--log FILE] [--mb SIZE] [--pattern P]
# DIR defaults to the .NET SDK folder (the one holding the dotnet executable); LOG to a file of about SIZE MB (225)
# made by repeating the machine's dpkg and apt logs (or generated lines where there are none).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
log=""
mb=225
pattern='status (installed|unpacked)|Setting up'
while [ $# -gt 0 ]; do
  case "$1" in
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

# The tool as users get it: packed the way CI packs it, installed from those packages into a folder of its own.
echo "packing and installing the tool, building the Release host..." >&2
suffix="compare.$(date +%s)"
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
dotnet pwsh ./build.ps1 -Target Pack -VersionSuffix "$suffix" -Artifacts "$work/artifacts" > "$work/build.log" 2>&1 \
  && dotnet tool install ActorPipeline.Tool --add-source "$work/artifacts/packages" --tool-path "$work/tool" --version "$version-$suffix" \
    >> "$work/build.log" 2>&1 \
  && dotnet build src/ActorPipeline.Host -c Release -v quiet -nologo >> "$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 2; }
installed=$(ls -d "$work"/tool/.store/actorpipeline.tool/*/actorpipeline.tool.* 2>/dev/null | sed 's:.*actorpipeline.tool.::' | head -n 1)
tool=("$work/tool/actor-pipeline")
jit=(dotnet "src/ActorPipeline.Host/bin/Release/net10.0/ActorPipeline.Host.dll")

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
  for host in tool jit; do
    declare -n run="$host"
    time_of "$host.hash" "${run[@]}" hash "$dir" --quiet
    time_of "$host.grep_ingest" "${run[@]}" ingest "$log" --grep "$pattern" --json --quiet
    time_of "$host.ingest" "${run[@]}" ingest "$log" --json --quiet
    time_of "$host.demo" "${run[@]}" demo --quiet
    time_of "$host.help" "${run[@]}" --help
    unset -n run
  done
  time_of xargs bash -c 'find "$0" -type f -print0 | xargs -0 -P"$(nproc)" -n 64 sha256sum' "$dir"
  time_of grep bash -c 'grep -c -E "$1" "$0" || true' "$log" "$pattern"
  time_of wc_grep bash -c 'peer_ingest'
done

median() { awk '{ print $1 }' "$work/$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
peak() { awk '{ print $2 }' "$work/$1" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }'; }
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN { printf "%.2f", a / b }'; }

status=0
# The outputs must agree before the times mean anything: the tool's and the Release build's alike.
total() { grep -o "\"$2\": [0-9]*" "$work/$1.out" | tail -n 1 | grep -o '[0-9]*$'; }
for host in tool jit; do
  if ! (cd / && sha256sum -c --quiet "$work/$host.hash.out" > /dev/null 2>&1); then
    echo "MISMATCH ($host): sha256sum -c does not accept hash's output" >&2; status=1
  fi
  if [ "$(wc -l < "$work/$host.hash.out")" -ne "$(find "$dir" -type f | wc -l)" ]; then
    echo "MISMATCH ($host): hash printed $(wc -l < "$work/$host.hash.out") sums for $(find "$dir" -type f | wc -l) files" >&2; status=1
  fi
  if [ "$(total "$host.grep_ingest" matches)" != "$(cat "$work/grep.out")" ]; then
    echo "MISMATCH ($host): ingest counted $(total "$host.grep_ingest" matches) matching lines, grep -c $(cat "$work/grep.out")" >&2; status=1
  fi
  if [ "$(total "$host.ingest" lines)" != "$(wc -l < "$log")" ]; then
    echo "MISMATCH ($host): ingest counted $(total "$host.ingest" lines) lines, wc -l $(wc -l < "$log")" >&2; status=1
  fi
  if [ "$(tail -n 1 "$work/$host.demo.out")" != "total consumed: 24 (expected 24)" ]; then
    echo "MISMATCH ($host): the demo ended with '$(tail -n 1 "$work/$host.demo.out")'" >&2; status=1
  fi
done

row() { # JOB PEER-LABEL NAME PEER-NAME
  printf '%-22s %-50s %8s %8s %8s %7s %7s %8s\n' "$1" "$2" "$(median "tool.$3")" "$(median "jit.$3")" "${4:+$(median "$4")}" \
    "${4:+$(ratio "tool.$3" "$4")}" "${4:+$(ratio "jit.$3" "$4")}" "$(peak "tool.$3")"
}
printf '\n%-22s %-50s %8s %8s %8s %7s %7s %8s\n' "job" "peer" "tool (s)" "jit (s)" "peer (s)" "tool ×" "jit ×" "tool MiB"
row "hash DIR" "find | xargs -0 -P$(nproc) -n 64 sha256sum" hash xargs
row "ingest --grep P LOG" "grep -c -E P LOG" grep_ingest grep
row "ingest LOG" "wc -l LOG; grep -c -E '^(TRACE|...|FATAL)' LOG" ingest wc_grep
row "demo (seed scenario)" "-" demo ""
row "--help" "-" help ""
echo "(medians of $runs interleaved runs; P = '$pattern'; wall time of the whole process; tool: the installed 'actor-pipeline'" \
  "($installed package); jit: the Release build 'dotnet run -c Release' runs)"
exit $status
