#!/usr/bin/env bash
# Scale benchmark: how citekeep's cost grows with a site's size. For each size, a generated
# Markdown site (benches/gen_site.py: CITATIONS citations of CITATIONS/10 unique URLs on
# CITATIONS/200 loopback hosts, 20 pages each, served by one nginx) goes through:
#   scan      citekeep scan --format json (no network)
#   check     citekeep check on an empty history (every URL requested, nothing archived)
#   run       the nightly job on an empty history: scan, check, snapshot every page, record
#   rerun     the nightly job again at once: nothing is due, so no request may be made
#   report    citekeep report --format html
#   browse    the archive browser's slowest answer among its pages (home, a source, a link,
#             search, rot, a replay)
# with the default politeness of config.toml (64 requests in flight, 2 a host, 250 ms apart).
# Prints a Markdown table, and writes the numbers (TSV) and a plot (SVG) to OUT.
#
# usage: benches/scale.sh [CITATIONS...]   (default: 1000 10000 100000 1000000)
#   OUT=DIR  where scale.tsv and scale.svg go (default docs/)
# needs: nginx, curl, python3, GNU time
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("${@:-1000 10000 100000 1000000}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
port=${PORT:-18100}
serve_port=$((port + 1))
out=${OUT:-docs}
# shellcheck source=benches/lib.sh
. benches/lib.sh
need curl "apt-get install curl"
need nginx "apt-get install nginx"

# The cited pages of the largest site; smaller sites cite a subset of them.
max=0; for n in "${sizes[@]}"; do (( n > max )) && max=$n; done
echo "generating the pages of $max citations" >&2
python3 benches/gen_site.py "$work/pages" "$max" "$port"
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1; error_log $work/logs/error.log; pid $work/nginx.pid;
events { worker_connections 8192; }
http { access_log $work/logs/access.log; keepalive_requests 100000; default_type text/html;
  server { listen $port; allow 127.0.0.0/8; deny all; root $work/pages/www/\$host; } }
NGINX
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

# slowest_page DIR: the longest answer (seconds) of the archive browser over its pages.
slowest_page() {
  "$citekeep" --archive "$1/archive" serve --listen "127.0.0.1:$serve_port" 2> "$work/serve.log" &
  local pid=$! base="http://127.0.0.1:$serve_port" slowest=0 t
  for _ in $(seq 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.1; done
  local file url
  file=$(find "$1/site" -name '*.md' | sort | head -1)
  url=$(grep -o 'http://[^)]*' "$file" | head -1)
  for path in "/" "/source?file=$file" "/link/1" "/search?q=minister" "/search?q=127.0.0" "/rot" \
              "/web/2/$url" "/web/2099if_/$url"; do
    t=$(curl -s -o /dev/null -L -w '%{time_total}' "$base$path")
    slowest=$(echo "$t $slowest" | awk '{print ($1 > $2) ? $1 : $2}')
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$slowest"
}

tsv=$work/scale.tsv
printf 'citations\tscan_s\tscan_mb\tcheck_s\tcheck_mb\trun_s\trun_mb\trerun_s\trerun_mb\treport_s\treport_mb\n' > "$tsv"
echo "| citations | URLs | hosts | scan (s / MB) | check (s / MB) | run (s / MB) | rerun (s / MB, requests) | report (s / MB) | slowest browser page (s) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  dir=$work/s$n
  python3 benches/gen_site.py "$dir" "$n" "$port" --site-only
  printf '[site]\nsources = ["site"]\nbase_url = "https://example.org"\n[archive]\ndir = "archive"\n' > "$dir/config.toml"
  ck=("$citekeep" --config "$dir/config.toml")
  rm -f "$work"/*.times
  measure "scan" "${ck[@]}" scan --format json
  measure "check" "${ck[@]}" -q check --format json
  rm -rf "$dir/archive"
  measure "run" "${ck[@]}" run
  : > "$work/logs/access.log"
  measure "rerun" "${ck[@]}" run
  requests=$(wc -l < "$work/logs/access.log")
  measure "report" "${ck[@]}" report --format html --output "$dir/report.html"
  slowest=$(slowest_page "$dir")
  line="$n"; row="| $n | $((n / 10)) | $((n / 200 > 0 ? n / 200 : 1)) "
  for phase in scan check run rerun report; do
    read -r wall _ mem < <(stats "$phase")
    line="$line	$wall	$mem"
    if [ "$phase" = rerun ]; then
      row="$row| $(printf '%.2f / %.0f, %d' "$wall" "$mem" "$requests") "
    else
      row="$row| $(printf '%.2f / %.0f' "$wall" "$mem") "
    fi
  done
  echo "$line" >> "$tsv"
  echo "$row| $(printf '%.2f' "$slowest") |"
  tail -1 "$work/run.out" >&2
  rm -rf "$dir" "$work"/*.out
done
mkdir -p "$out"
cp "$tsv" "$out/scale.tsv"
python3 benches/plot_scale.py "$tsv" "$out/scale.svg"
echo
echo "(one run of each phase per size; $(nproc) cores; numbers in $out/scale.tsv, plot in $out/scale.svg)"
