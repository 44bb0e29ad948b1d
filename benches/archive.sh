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
command -v nginx >/dev/null || { echo "nginx not found: apt-get install nginx" >&2; exit 2; }
command -v wget >/dev/null || { echo "wget not found: apt-get install wget" >&2; exit 2; }

cargo build --release --quiet
citekeep=$PWD/target/release/citekeep
work=$(mktemp -d)
trap 'nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

per_host=$(( (pages + 99) / 100 ))
mkdir -p "$work/www/p" "$work/logs"
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
{
  echo "worker_processes 1; error_log $work/logs/error.log; pid $work/nginx.pid;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; keepalive_requests 100000; default_type text/html; server {"
  for h in $(seq 1 100); do echo "  listen 127.0.0.$h:$port;"; done
  echo "  root $work/www; } }"
} > "$work/nginx.conf"
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

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

measure() { # NAME CMD... -> appends "wall cpu maxrss_kb"
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > /dev/null 2> "$work/$name.err" || true
  awk '{print $1, $2+$3, $4}' "$work/t" >> "$work/$name.times"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for _ in $(seq "$runs"); do
  rm -rf "$work/wget" && mkdir -p "$work/wget"
  measure wget sh -c "cd '$work/wget' && wget -q --no-proxy --delete-after --warc-file=bench -i '$list'"
  wget_bytes=$(stat -c %s "$work/wget/bench.warc.gz")
  rm -rf "$work/archive"
  # citekeep snapshots the list directly (as wget does), recording every snapshot.
  measure citekeep "$citekeep" --config "$work/citekeep.toml" -q archive "$list"
  citekeep_bytes=$(cat "$work"/archive/warc/*.warc.gz | wc -c)
done
ww=$(awk '{print $1}' "$work/wget.times" | median); cw=$(awk '{print $1}' "$work/citekeep.times" | median)
wc_=$(awk '{print $2}' "$work/wget.times" | median); cc=$(awk '{print $2}' "$work/citekeep.times" | median)
wm=$(awk '{print $3/1024}' "$work/wget.times" | sort -n | tail -1); cm=$(awk '{print $3/1024}' "$work/citekeep.times" | sort -n | tail -1)
echo "| tool | pages | median wall (s) | pages/s | median CPU (s) | peak memory (MB) | WARC bytes/page |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '| wget --warc-file | %d | %.2f | %.0f | %.2f | %.0f | %.0f |\n' "$pages" "$ww" "$(echo "$pages/$ww" | bc -l)" "$wc_" "$wm" "$(echo "$wget_bytes/$pages" | bc -l)"
printf '| citekeep archive | %d | %.2f | %.0f | %.2f | %.0f | %.0f |\n' "$pages" "$cw" "$(echo "$pages/$cw" | bc -l)" "$cc" "$cm" "$(echo "$citekeep_bytes/$pages" | bc -l)"
awk -v ww="$ww" -v cw="$cw" -v wb="$wget_bytes" -v cb="$citekeep_bytes" \
  'BEGIN { printf "citekeep: %.2fx wget'\''s pages per second; WARC size %.1f%% of wget'\''s\n", ww/cw, 100*cb/wb }'
