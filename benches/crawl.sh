#!/usr/bin/env bash
# Crawling benchmark: `citekeep scan URL` against LinkChecker (PyPI `linkchecker`,
# recursive, external links not checked) on the same generated site of PAGES pages served
# by nginx, with the same politeness (10 requests in flight, no pause between them; nginx
# sends LinkChecker's `LinkChecker` header so it may go faster than its default of 10
# requests a second), run alternately in one session: pages per second, peak memory, ratio.
#
# usage: benches/crawl.sh [PAGES]   (default 2000)
#   RUNS=N  repetitions of each tool (default 3)
# needs: nginx (Debian), linkchecker (PyPI), GNU time
set -euo pipefail
cd "$(dirname "$0")/.."

pages=${1:-2000}
runs=${RUNS:-3}
port=${PORT:-18096}
# shellcheck source=benches/lib.sh
. benches/lib.sh
need linkchecker "pip install linkchecker"

# Pages of about 8 KB: prose, three citations, links to two children and the next page
# (a tree a dozen levels deep, so every page is reached).
mkdir -p "$work/www/p"
python3 - "$work/www" "$pages" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
words = "policy summit safety declaration government agreement frontier model risk treaty".split()
for k in range(n):
    rng = random.Random(k)
    kids = [c for c in (2 * k + 1, 2 * k + 2, k + 1) if c < n]
    links = " ".join(f'<a href="/p/{c}.html">page {c}</a>' for c in kids)
    cites = " ".join(f'<a href="https://example.org/source/{k}/{j}">source {j}</a>' for j in range(3))
    prose = "".join("<p>" + " ".join(rng.choice(words) for _ in range(100)) + "</p>\n" for _ in range(12))
    open(f"{out}/p/{k}.html", "w").write(
        f'<!doctype html><html><head><title>Page {k}</title></head><body><nav><a href="/p/0.html">home</a></nav>'
        f'<main><h1>Page {k}</h1>{prose}<p>{cites}</p><p>{links}</p></main></body></html>\n')
PY
start_nginx "$port"
# LinkChecker only lifts its 10-requests-a-second default for servers that send this header;
# the charset spares its parser a guess (which fails here: it drops root for `nobody`, who
# cannot read chardet's models under /root).
sed -i "s|root $work/www;|root $work/www; add_header LinkChecker allow; charset utf-8;|" "$work/nginx.conf"
nginx -p "$work" -c nginx.conf -s reload
sleep 0.5
start="http://127.0.0.1:$port/p/0.html"

cat > "$work/citekeep.toml" <<TOML
[check]
concurrency = 10
per_host = 10
host_interval = 0
[crawl]
allow_private = true
max_pages = 1000000
max_depth = 1000
sitemaps = false
TOML
cat > "$work/linkcheckerrc" <<INI
[checking]
threads=10
maxrequestspersecond=100000
[output]
status=0
warnings=0
INI

for _ in $(seq "$runs"); do
  measure linkchecker linkchecker -f "$work/linkcheckerrc" --no-status --no-warnings "$start"
  measure citekeep "$citekeep" --config "$work/citekeep.toml" scan "$start" --format json
done
ck_pages=$(grep -o 'crawled [^ ]*: [0-9]* pages' "$work/citekeep.err" | grep -o '[0-9]* pages' | grep -o '[0-9]*')
lc_links=$(grep -o '[0-9]* links in [0-9]* URLs checked' "$work/linkchecker.out" | head -1 || true)
read -r lw lcpu lm < <(stats linkchecker)
read -r cw ccpu cm < <(stats citekeep)
echo "| tool | pages | median wall (s) | pages/s | median CPU (s) | peak memory (MB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
printf '| LinkChecker | %d | %.2f | %.0f | %.2f | %.0f |\n' "$pages" "$lw" "$(echo "$pages/$lw" | bc -l)" "$lcpu" "$lm"
printf '| citekeep scan URL | %d | %.2f | %.0f | %.2f | %.0f |\n' "$ck_pages" "$cw" "$(echo "$ck_pages/$cw" | bc -l)" "$ccpu" "$cm"
row "Crawling, $pages pages" "LinkChecker" "$lw" "$lcpu" "$lm" "$(printf '%.0f pages/s' "$(echo "$pages/$lw" | bc -l)")" ""
row "" "citekeep scan URL" "$cw" "$ccpu" "$cm" "$(printf '%.0f pages/s' "$(echo "$ck_pages/$cw" | bc -l)")" \
  "$(printf '%.1fx faster (goal 10x)' "$(echo "($ck_pages/$cw) / ($pages/$lw)" | bc -l)")"
printf '\ncitekeep crawls %.1fx as many pages per second (LinkChecker: %s)\n' \
  "$(echo "($ck_pages/$cw) / ($pages/$lw)" | bc -l)" "${lc_links:-see its output}"
echo "($pages pages, 10 requests in flight, $runs runs each, alternating; $(nproc) cores)"
