# Shared by the benchmark scripts (sourced, not run): tool checks, the release build, a
# scratch folder, timed runs, medians, and an nginx serving $work/www on 100 loopback hosts.

# need COMMAND HINT: stop with the hint when COMMAND is missing.
need() { command -v "$1" >/dev/null || { echo "$1 not found: $2" >&2; exit 2; }; }

need /usr/bin/time "apt-get install time"
cargo build --release --quiet
citekeep=$PWD/target/release/citekeep
work=$(mktemp -d)
cleanup() {
  [ -f "$work/nginx.pid" ] && nginx -p "$work" -c nginx.conf -s stop 2>/dev/null
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# measure NAME CMD...: one timed run; appends "wall user sys maxrss_kb" to $work/NAME.times,
# keeps its stdout in $work/NAME.out and its stderr in $work/NAME.err.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > "$work/$name.out" 2> "$work/$name.err" || true
  cat "$work/t" >> "$work/$name.times"
}

# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# stats NAME: "median-wall median-cpu peak-mb" of $work/NAME.times.
stats() {
  local f=$work/$1.times
  printf '%s %s %s\n' "$(awk '{print $1}' "$f" | median)" "$(awk '{print $2+$3}' "$f" | median)" \
    "$(awk '{print $4/1024}' "$f" | sort -n | tail -1)"
}

# start_nginx PORT: one nginx worker serving $work/www on 127.0.0.1 to 127.0.0.100.
start_nginx() {
  need nginx "apt-get install nginx"
  mkdir -p "$work/logs"
  {
    echo "worker_processes 1; error_log $work/logs/error.log; pid $work/nginx.pid;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; keepalive_requests 100000; default_type text/html; server {"
    for h in $(seq 1 100); do echo "  listen 127.0.0.$h:$1;"; done
    echo "  root $work/www; } }"
  } > "$work/nginx.conf"
  chmod -R a+rX "$work"
  nginx -p "$work" -c nginx.conf
}

# row CELLS...: appends one row of the suite's summary table (benches/run) to $RESULTS:
# comparison, tool, median wall (s), median CPU (s), peak memory (MB), rate, ratio and goal.
row() {
  [ -n "${RESULTS:-}" ] || return 0
  local out="|" cell i=0
  for cell in "$@"; do
    i=$((i + 1))
    if [[ $cell =~ ^[0-9.]+$ ]]; then
      case $i in 3 | 4) cell=$(printf '%.2f' "$cell") ;; 5) cell=$(printf '%.0f' "$cell") ;; esac
    fi
    out="$out $cell |"
  done
  echo "$out" >> "$RESULTS"
}
