#!/usr/bin/env bash
# Extraction benchmark: `citekeep scan` against `lychee --dump` on the same tree of Markdown,
# run alternately in one session, reporting median wall time, CPU time and peak memory.
#
# usage: benches/scan.sh [SOURCE_DIR] [COPIES]
#   SOURCE_DIR  folder copied COPIES times into a temporary tree (default ../shared/corpus, 40)
#   RUNS=N      repetitions of each tool (default 5), alternating
#   KEEP_TREE=1 keep the generated tree (its path is printed)
# needs: lychee (cargo install lychee), GNU time (/usr/bin/time), a Rust toolchain
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:-../shared/corpus}
copies=${2:-40}
runs=${RUNS:-5}
# shellcheck source=benches/lib.sh
KEEP_WORK=${KEEP_TREE:-0}
. benches/lib.sh
need lychee "cargo install lychee"
tree=$work/tree
mkdir -p "$tree"
if [ -d "$src" ]; then
  for i in $(seq "$copies"); do cp -r "$src" "$tree/copy$i"; done
else
  # Without the shared corpus (a fresh clone), a generated site of 500,000 citations.
  echo "no folder $src: scanning a generated site instead" >&2
  python3 benches/gen_site.py "$tree" 500000 80 --site-only
fi
files=$(find "$tree" -type f \( -name '*.md' -o -name '*.markdown' -o -name '*.html' -o -name '*.htm' -o -name '*.txt' \) | wc -l)
mb=$(du -sm "$tree" | cut -f1)
echo "tree: $tree ($files source files, ${mb} MB); $runs runs each, alternating" >&2

# Warm the page cache once for both.
lychee --dump "$tree" > /dev/null 2>&1 || true
"$citekeep" scan "$tree" > /dev/null 2>&1 || true
for _ in $(seq "$runs"); do
  measure lychee lychee --dump "$tree"
  measure citekeep "$citekeep" scan "$tree"
done

read -r lw lc lm < <(stats lychee)
read -r cw cc cm < <(stats citekeep)
llinks=$(wc -l < "$work/lychee.out")
clinks=$(grep -c '^[^ ].*:[0-9]*:[0-9]*  ' "$work/citekeep.out" || true)

echo
echo "| tool | links printed | median wall (s) | median CPU (s) | peak memory (MB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '| lychee --dump | %s | %.2f | %.2f | %.1f |\n' "$llinks" "$lw" "$lc" "$lm"
printf '| citekeep scan | %s | %.2f | %.2f | %.1f |\n' "$clinks" "$cw" "$cc" "$cm"
echo
awk -v lw="$lw" -v cw="$cw" -v lc="$lc" -v cc="$cc" -v lm="$lm" -v cm="$cm" 'BEGIN {
  printf "citekeep is %.2fx faster in wall time, uses %.2fx less CPU and %.2fx less peak memory\n", lw/cw, lc/cc, lm/cm }'
row "Extraction, $files files ($mb MB)" "lychee --dump" "$lw" "$lc" "$lm" "$(printf '%.1f MB/s' "$(echo "$mb / $lw" | bc -l)")" ""
row "" "citekeep scan" "$cw" "$cc" "$cm" "$(printf '%.1f MB/s' "$(echo "$mb / $cw" | bc -l)")" \
  "$(awk -v a="$lw" -v b="$cw" 'BEGIN { printf "%.2fx faster (goal 2x)", a/b }')"
echo "(lychee prints every URL; citekeep prints external citations with file:line:col, text and"
echo " section in its text format, and counts internal links)"
