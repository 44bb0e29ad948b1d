#!/usr/bin/env bash
# Archiving benchmark: citekeep against `wget --warc-file -i urls.txt` on the same list of
# pages of about 50 KB from a local nginx (100 loopback hosts, one port), run alternately in
# one session: pages per second, WARC bytes per page, and the ratios.
#
# usage: benches/archive.sh [PAGES]   (default 10000)
#   RUNS=N  repetitions of each tool (default 3)
# needs: nginx, wget (Debian packages), GNU time
set -euo pipefail
cd "$(dirname "$0")/.."

pages=${1:-10000}
runs=${RUNS:-3}
port=${PORT:-18090}
# shellcheck source=benches/lib.sh
. benches/lib.sh
need wget "apt-get install wget"

per_host=$(( (pages + 99) / 100 ))
mkdir -p "$work/www/p"
# About 50 KB of varied HTML per page (so gzip and digests do real work).
python3 - "$work/www/p" "$per_host" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
words = "policy summit safety declaration government agreement frontier model risk treaty".split()
for k in range(n):
    rng = random.Random(k)
    paras = "".join("<p>" + " ".join(rng.choice(words) for _ in range(80)) + "</p>\n" for _ in range(90))
    open(f"{out}/{k}.html", "w").write(f"<!doctype html><html><head><title>Page {k}</title></head><body><main>{paras}</main></body></html>\n")
PY
start_nginx "$port"

list=$work/urls.txt
for i in $(seq 0 $((pages - 1))); do echo "http://127.0.0.$(( i % 100 + 1 )):$port/p/$(( i / 100 )).html"; done > "$list"
cat > "$work/citekeep.toml" <<TOML
[check]
concurrency = 64
per_host = 2
host_interval = 0
soft404_probe = false
[archive]
dir = "archive"
TOML


for _ in $(seq "$runs"); do
  rm -rf "$work/wget" && mkdir -p "$work/wget"
  measure wget sh -c "cd '$work/wget' && wget -q --no-proxy --delete-after --warc-file=bench -i '$list'"
  wget_bytes=$(stat -c %s "$work/wget/bench.warc.gz")
  rm -rf "$work/archive"
  # citekeep snapshots the list directly (as wget does), recording every snapshot.
  measure citekeep "$citekeep" --config "$work/citekeep.toml" -q archive "$list"
  citekeep_bytes=$(cat "$work"/archive/warc/*.warc.gz | wc -c)
done
read -r ww wc_ wm < <(stats wget)
read -r cw cc cm < <(stats citekeep)
echo "| tool | pages | median wall (s) | pages/s | median CPU (s) | peak memory (MB) | WARC bytes/page |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '| wget --warc-file | %d | %.2f | %.0f | %.2f | %.0f | %.0f |\n' "$pages" "$ww" "$(echo "$pages/$ww" | bc -l)" "$wc_" "$wm" "$(echo "$wget_bytes/$pages" | bc -l)"
printf '| citekeep archive | %d | %.2f | %.0f | %.2f | %.0f | %.0f |\n' "$pages" "$cw" "$(echo "$pages/$cw" | bc -l)" "$cc" "$cm" "$(echo "$citekeep_bytes/$pages" | bc -l)"
row "Archiving, $pages pages of 50 KB" "wget --warc-file" "$ww" "$wc_" "$wm" "$(printf '%.0f pages/s' "$(echo "$pages/$ww" | bc -l)")" ""
row "" "citekeep archive" "$cw" "$cc" "$cm" "$(printf '%.0f pages/s' "$(echo "$pages/$cw" | bc -l)")" \
  "$(awk -v ww="$ww" -v cw="$cw" -v wb="$wget_bytes" -v cb="$citekeep_bytes" \
    'BEGIN { printf "%.2fx faster (goal 5x), WARC %.1f%% of its size (goal within 10%%)", ww/cw, 100*cb/wb }')"
awk -v ww="$ww" -v cw="$cw" -v wb="$wget_bytes" -v cb="$citekeep_bytes" \
  'BEGIN { printf "citekeep: %.2fx wget'\''s pages per second; WARC size %.1f%% of wget'\''s\n", ww/cw, 100*cb/wb }'
