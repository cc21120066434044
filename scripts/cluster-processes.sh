# Sourced by the cluster scripts: builds the host, and starts and stops its processes on this machine.
# Sets $host (the built host) and $work (a folder removed on exit); every pid added to $pids is killed on exit.

dotnet build src/ActorPipeline.Host --configuration Release --nologo --verbosity quiet > /dev/null
host=src/ActorPipeline.Host/bin/Release/net10.0/ActorPipeline.Host
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to $3 seconds for the file $1 to hold a line matching $2; prints the file and fails if it does not.
await_line() {
  local deadline=$(( $(date +%s) + $3 ))
  until grep -q -- "$2" "$1" 2> /dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$(basename "$0"): no '$2' in $1 within $3 s:" >&2
      cat "$1" >&2
      return 1
    fi
    sleep 0.1
  done
}
