#!/usr/bin/env bash
# Replay benchmark: `citekeep serve` against pywb (`wb-manager add` + `wayback`) on the same
# WARC files, loaded by wrk with 16 connections, for the original bytes (`id_`) and for the
# rewritten page (citekeep `if_`, pywb `mp_`: the page as the replay frame shows it), run
# alternately in one session: requests per second, latency percentiles, and the ratios.
#
# usage: benches/serve.sh [PAGES]   (default 200 pages of about 50 KB, each with a stylesheet)
#   RUNS=N      repetitions of each measurement (default 3)
#   DURATION=S  seconds of load each (default 10)
# needs: nginx, wrk (Debian packages), pywb (PyPI), GNU time
set -euo pipefail
cd "$(dirname "$0")/.."

pages=${1:-200}
runs=${RUNS:-3}
duration=${DURATION:-10}
port=${PORT:-18092}
ck_port=$((port + 1))
pywb_port=$((port + 2))
# shellcheck source=benches/lib.sh
. benches/lib.sh
need wrk "apt-get install wrk"
need wb-manager "pip install pywb"
need wayback "pip install pywb"

# The pages, served by nginx and archived once by citekeep.
mkdir -p "$work/www/p"
python3 - "$work/www" "$pages" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
words = "policy summit safety declaration government agreement frontier model risk treaty".split()
open(f"{out}/site.css", "w").write("body { font-family: serif; background: url(/bg.png) } main { max-width: 40em }\n")
open(f"{out}/bg.png", "wb").write(b"\x89PNG\r\n\x1a\n" + bytes(200))
for k in range(n):
    rng = random.Random(k)
    paras = "".join(f'<p>{" ".join(rng.choice(words) for _ in range(80))} <a href="/p/{(k + 1) % n}.html">next</a></p>\n' for _ in range(90))
    open(f"{out}/p/{k}.html", "w").write(f'<!doctype html><html><head><title>Page {k}</title><link rel="stylesheet" href="/site.css"></head><body><main>{paras}</main><script>console.log(1)</script></body></html>\n')
PY
start_nginx "$port"
for i in $(seq 0 $((pages - 1))); do echo "http://127.0.0.$(( i % 100 + 1 )):$port/p/$i.html"; done > "$work/urls.txt"
printf '[check]\nconcurrency = 16\nper_host = 4\nhost_interval = 0\n[archive]\ndir = "archive"\n' > "$work/citekeep.toml"
"$citekeep" --config "$work/citekeep.toml" -q archive "$work/urls.txt"
nginx -p "$work" -c nginx.conf -s stop && rm -f "$work/nginx.pid"

# The replay addresses of the pages, for each server.
python3 - "$work" "$ck_port" "$pywb_port" <<'PY'
import json, sys
work, ck, pw = sys.argv[1], sys.argv[2], sys.argv[3]
pages = []
for line in open(f"{work}/archive/index.cdxj"):
    key, ts, j = line.split(" ", 2)
    j = json.loads(j)
    if "/p/" in j["url"] and j.get("status") == "200" and j.get("mime") != "warc/revisit":
        pages.append((ts, j["url"]))
# NAME.base is the server, NAME.urls the paths (wrk sends them in origin form).
for name, base, fmt in [("ck_raw", f"http://127.0.0.1:{ck}", "/web/{ts}id_/{url}"),
                        ("ck_rw", f"http://127.0.0.1:{ck}", "/web/{ts}if_/{url}"),
                        ("pywb_raw", f"http://127.0.0.1:{pw}", "/bench/{ts}id_/{url}"),
                        ("pywb_rw", f"http://127.0.0.1:{pw}", "/bench/{ts}mp_/{url}")]:
    open(f"{work}/{name}.base", "w").write(base)
    with open(f"{work}/{name}.urls", "w") as f:
        for ts, url in pages:
            f.write(fmt.format(ts=ts, url=url) + "\n")
PY
cat > "$work/urls.lua" <<'LUA'
local urls = {}
for line in io.lines(os.getenv("URLS")) do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
LUA

# pywb, on the same WARC files.
mkdir -p "$work/pywb"
(cd "$work/pywb" && wb-manager init bench >/dev/null && wb-manager add bench "$work"/archive/warc/*.warc.gz >/dev/null)
(cd "$work/pywb" && exec wayback -p "$pywb_port" > "$work/pywb.log" 2>&1) &
pywb_pid=$!
"$citekeep" --archive "$work/archive" serve --listen "127.0.0.1:$ck_port" 2> "$work/ck.log" &
ck_pid=$!
trap 'kill $pywb_pid $ck_pid 2>/dev/null; cleanup' EXIT
first() { echo "$(cat "$work/$1.base")$(head -1 "$work/$1.urls")"; }
for u in "$(first ck_raw)" "$(first pywb_raw)"; do
  for _ in $(seq 100); do curl -sf -o /dev/null "$u" && break; sleep 0.2; done
  curl -sf -o /dev/null "$u" || { echo "no answer from $u" >&2; cat "$work/pywb.log" >&2; exit 1; }
done
# Both answer the same bytes for id_.
cmp <(curl -s "$(first ck_raw)") <(curl -s "$(first pywb_raw)") \
  || echo "warning: the two servers' original bytes differ" >&2

# load NAME: one wrk run over NAME.urls; appends "rps p50_ms p99_ms" to NAME.load.
load() {
  URLS="$work/$1.urls" wrk -t2 -c16 -d"${duration}s" --latency -s "$work/urls.lua" "$(first "$1")" > "$work/wrk.out"
  awk -v f="$work/$1.load" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    / Non-2xx/ { bad = $NF }
    END { print rps, p50, p99 >> f; if (bad) print "non-2xx answers: " bad > "/dev/stderr" }' "$work/wrk.out"
}
for _ in $(seq "$runs"); do
  for name in pywb_raw ck_raw pywb_rw ck_rw; do load "$name"; done
done
# citekeep's peak memory (resident high-water mark) over the whole load.
ck_rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$ck_pid/status")
pywb_rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pywb_pid/status")
# cpu PID: seconds of CPU the process has used (user + system).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
ck_cpu=$(cpu "$ck_pid"); pywb_cpu=$(cpu "$pywb_pid")

med() { awk -v c="$2" '{print $c}' "$work/$1.load" | median; }
echo "| server | replay | median requests/s | p50 latency (ms) | p99 latency (ms) |"
echo "| --- | --- | ---: | ---: | ---: |"
for row in "pywb_raw:pywb:original (id_)" "ck_raw:citekeep serve:original (id_)" \
           "pywb_rw:pywb:rewritten (mp_)" "ck_rw:citekeep serve:rewritten (if_)"; do
  IFS=: read -r name who what <<< "$row"
  printf '| %s | %s | %.0f | %.1f | %.1f |\n' "$who" "$what" "$(med "$name" 1)" "$(med "$name" 2)" "$(med "$name" 3)"
done
printf '\nratios (citekeep / pywb, requests/s): original %.1fx, rewritten %.1fx; citekeep peak memory %.0f MB\n' \
  "$(echo "$(med ck_raw 1) / $(med pywb_raw 1)" | bc -l)" "$(echo "$(med ck_rw 1) / $(med pywb_rw 1)" | bc -l)" \
  "$(echo "$ck_rss_kb / 1024" | bc -l)"
echo "($pages pages, wrk -t2 -c16 -d${duration}s, $runs runs each, alternating; $(nproc) cores)"
for kind in raw:id_ rw:rewritten; do
  IFS=: read -r k what <<< "$kind"
  [ "$what" = id_ ] && what="original (id_)"
  row "Replay, $what, $pages pages" "pywb" "—" "$pywb_cpu" "$(echo "$pywb_rss_kb / 1024" | bc)" \
    "$(printf '%.0f req/s, p99 %.1f ms' "$(med "pywb_$k" 1)" "$(med "pywb_$k" 3)")" ""
  row "" "citekeep serve" "—" "$ck_cpu" "$(echo "$ck_rss_kb / 1024" | bc)" \
    "$(printf '%.0f req/s, p99 %.1f ms' "$(med "ck_$k" 1)" "$(med "ck_$k" 3)")" \
    "$(printf '%.1fx faster (goal %s)' "$(echo "$(med "ck_$k" 1) / $(med "pywb_$k" 1)" | bc -l)" \
      "$([ "$k" = raw ] && echo 20x || echo 10x)")"
done
