#!/usr/bin/env bash
# Checking benchmark: citekeep check against lychee on the same list of URLs over 100
# loopback hosts (127.0.0.1 to 127.0.0.100, one port) served by nginx, with equal politeness
# (10 requests in flight per host, no interval, 128 in all), run alternately in one session.
#
# usage: benches/check.sh [URLS...]    (default: 10000 100000)
#   RUNS=N  repetitions of each tool per size (default 3)
# needs: nginx (Debian package), lychee (cargo install lychee), GNU time
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("${@:-10000 100000}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
runs=${RUNS:-3}
port=${PORT:-18080}
# shellcheck source=benches/lib.sh
. benches/lib.sh
need lychee "cargo install lychee"

# Pages: /p/0.html ... on every host; other paths are 404 (so soft-404 probes see a 404).
max=0; for n in "${sizes[@]}"; do (( n > max )) && max=$n; done
per_host=$(( (max + 99) / 100 ))
mkdir -p "$work/www/p"
for k in $(seq 0 $((per_host - 1))); do
  printf '<!doctype html><html><head><title>Page %d</title></head><body><p>Page %d of the benchmark site, with some text to read.</p></body></html>\n' "$k" "$k" > "$work/www/p/$k.html"
done
start_nginx "$port"

cat > "$work/citekeep.toml" <<TOML
[check]
concurrency = 128
per_host = 10
host_interval = 0
timeout = 20
[archive]
dir = "archive"
TOML


echo "| URLs | tool | median wall (s) | URLs/s | median CPU (s) | peak memory (MB) |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  list=$work/urls-$n.txt
  for i in $(seq 0 $((n - 1))); do echo "http://127.0.0.$(( i % 100 + 1 )):$port/p/$(( i / 100 )).html"; done > "$list"
  rm -f "$work"/*.times
  for _ in $(seq "$runs"); do
    measure lychee lychee --no-progress --max-concurrency 128 --host-concurrency 10 \
      --host-request-interval 0ms --timeout 20 "$list"
    rm -rf "$work/archive"
    measure citekeep "$citekeep" --config "$work/citekeep.toml" -q check "$list"
  done
  for tool in lychee citekeep; do
    read -r wall cpu mem < <(stats "$tool")
    printf '| %s | %s | %.2f | %.0f | %.2f | %.0f |\n' "$n" "$tool" "$wall" "$(echo "$n / $wall" | bc -l)" "$cpu" "$mem"
    eval "${tool}_wall=$wall ${tool}_mem=$mem"
  done
  # shellcheck disable=SC2154
  awk -v lw="$lychee_wall" -v cw="$citekeep_wall" -v lm="$lychee_mem" -v cm="$citekeep_mem" -v n="$n" \
    'BEGIN { printf "|  | ratio (lychee / citekeep) | %.2fx faster |  |  | %.2fx less memory |\n", lw/cw, lm/cm }'
  row "Checking, $n URLs" "lychee" "$lychee_wall" "$(stats lychee | cut -d' ' -f2)" "$lychee_mem" \
    "$(printf '%.0f URLs/s' "$(echo "$n / $lychee_wall" | bc -l)")" ""
  row "" "citekeep check" "$citekeep_wall" "$(stats citekeep | cut -d' ' -f2)" "$citekeep_mem" \
    "$(printf '%.0f URLs/s' "$(echo "$n / $citekeep_wall" | bc -l)")" \
    "$(awk -v lw="$lychee_wall" -v cw="$citekeep_wall" -v lm="$lychee_mem" -v cm="$citekeep_mem" \
      'BEGIN { printf "%.2fx faster (goal 1.5x), %.2fx less memory (goal 4x)", lw/cw, lm/cm }')"
  tail -1 "$work/citekeep.out" >&2
  grep -E "Total|Successful|Errors" "$work/lychee.out" | tr '\n' ' ' >&2; echo >&2
done
