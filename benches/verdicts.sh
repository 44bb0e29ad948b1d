#!/usr/bin/env bash
# Verdict evaluation: precision and recall of rot (gone, soft-404, moved into an archive)
# and walls reported as rot, for citekeep and lychee side by side, on the labelled corpus of
# tests/verdicts.rs (96 answers modelled on real sites, played by the simulated web).
#
# usage: benches/verdicts.sh        needs: lychee on PATH (cargo install lychee) to score it
set -euo pipefail
cd "$(dirname "$0")/.."
command -v lychee >/dev/null || echo "lychee not found (cargo install lychee): citekeep only" >&2
cargo test --release --quiet --test tests -- --ignored --exact verdicts::verdict_evaluation \
  --nocapture 2>/dev/null | grep -E '^\|'
