#!/usr/bin/env bash
# Prints leakhound's detection quality on the labeled corpus (fixtures/corpus/): recall and
# precision per type and overall, misses and false alarms. Regenerate the corpus first with
# `python3 scripts/gen_corpus.py` if you changed the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test cli corpus::corpus_recall_and_precision_stay_above_their_floors \
  -- --exact --nocapture 2>&1 | sed -n '/^| type/,/^recall/p'
