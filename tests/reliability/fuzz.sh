#!/usr/bin/env bash
# Fuzzes every parser of outside input (tests/fuzz: codes and URLs, CSV imports, EPCIS
# documents, JSON bodies), each for SECONDS (600 unless given), one after the other, starting
# from the kept corpora; then minimises each corpus back into tests/fuzz/corpus and prints
# a table. A crash stops the run, its input in tests/fuzz/artifacts/TARGET/.
#
#   tests/reliability/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(codes csv epcis json)

# libFuzzer's instrumentation needs a nightly compiler; cargo-fuzz comes from crates.io.
toolchain=+nightly
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

fuzz() { cargo "$toolchain" fuzz "$1" --fuzz-dir tests/fuzz "${@:2}"; }
fuzz build -O 2>&1 | tail -1
log=$(mktemp -d)
printf '%-7s %8s %12s %10s %8s %8s\n' target seconds inputs per_s corpus crashes
for t in "${targets[@]}"; do
  mkdir -p "tests/fuzz/corpus/$t"
  fuzz run -O "$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 \
    -timeout=30 >"$log/$t.log" 2>&1 || { tail -40 "$log/$t.log"; echo "fuzz target $t failed"; exit 1; }
  fuzz cmin -O "$t" >"$log/$t.cmin.log" 2>&1
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log/$t.log" | grep -o '[0-9]*$')
  printf '%-7s %8s %12s %10s %8s %8s\n' "$t" "$seconds" "$runs" "$((runs / seconds))" \
    "$(ls "tests/fuzz/corpus/$t" | wc -l)" 0
done
