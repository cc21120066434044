#!/usr/bin/env bash
# Soak test (not run in CI): one pipeline at full speed for SECONDS (default 600), memory sampled every
# second (a line every 10 s), then drained; exits non-zero if the accounting does not hold.
#   scripts/soak.sh [SECONDS] [BUFFER]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
buffer=${2:-1024}
dotnet build -c Release bench/ActorPipeline.Benchmarks -v quiet -nologo
dotnet bench/ActorPipeline.Benchmarks/bin/Release/net10.0/ActorPipeline.Benchmarks.dll --soak "$seconds" --buffers "$buffer"
