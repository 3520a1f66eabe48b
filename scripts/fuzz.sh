#!/usr/bin/env bash
# Fuzzes for real (what `make test` does not: it only replays the corpora).
# Builds every libFuzzer target with clang + ASan/UBSan (the `fuzz` preset),
# runs each for FUZZ_SECONDS on a scratch copy of its corpus, merges what
# grew coverage back into the corpus folder in the source tree (commit it),
# and fails on the first crash, leak or timeout, leaving the input under
# build/fuzz/findings/<target>/ with the command to replay it.
#
# Usage: scripts/fuzz.sh [TARGET_REGEX]     (env: FUZZ_SECONDS=60 FUZZ_JOBS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
filter="${1:-.}"
cmake --preset fuzz > build-configure-fuzz.log 2>&1 || { cat build-configure-fuzz.log; exit 1; }
# Every fuzz target with a corpus is a test named <target>_corpus.
mapfile -t targets < <(ctest --test-dir build/fuzz -N | sed -n 's/^ *Test *#[0-9]*: \(.*_fuzz\)_corpus$/\1/p' \
                       | grep -E -- "$filter" || true)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz: no target matches '$filter'" >&2
  exit 2
fi
cmake --build --preset fuzz --target "${targets[@]}"
findings=build/fuzz/findings
mkdir -p "$findings"
failed=0
for t in "${targets[@]}"; do
  exe=$(find build/fuzz/src -type f -name "$t" -perm -u+x | head -n 1)
  corpus=$(ctest --test-dir build/fuzz -R "^${t}_corpus\$" --show-only=json-v1 |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["tests"][0]["command"][-1])')
  scratch=$(mktemp -d)
  cp -r "$corpus"/. "$scratch"/
  mkdir -p "$findings/$t"
  before=$(ls "$corpus" | wc -l)
  echo "fuzz: $t for ${seconds}s (corpus $before inputs)"
  if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$findings/$t/" "$scratch" > "$findings/$t/log" 2>&1; then
    echo "fuzz: $t FAILED: $(ls "$findings/$t" | grep -v '^log$' | head -n 1)" >&2
    grep -E 'ERROR|SUMMARY|abort|==[0-9]+==' "$findings/$t/log" | head -n 20 >&2 || true
    echo "fuzz: replay with: $exe $findings/$t/<input>" >&2
    failed=1
  fi
  # Keep only the inputs that add coverage (libFuzzer's merge).
  "$exe" -merge=1 -timeout=10 "$corpus" "$scratch" >> "$findings/$t/log" 2>&1 || true
  rm -rf "$scratch"
  echo "fuzz: $t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$findings/$t/log" | tail -n 1 | awk '{print $2}') runs, corpus $before -> $(ls "$corpus" | wc -l)"
done
exit "$failed"
