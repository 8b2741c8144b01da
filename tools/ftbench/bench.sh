#!/bin/bash
# bench.sh DB 'SQL with @Q@' word...: runs the query once to warm, then 5
# times in one session, and prints the median (ms) from SHOW PROFILES and
# how many rows the last run returned.
db=$1; tmpl=$2; shift 2
for w in "$@"; do
  q=${tmpl//@Q@/$w}
  out=$( { echo "SET profiling=1, profiling_history_size=20;"; for i in 1 2 3 4 5 6; do echo "$q;"; done; echo "SHOW PROFILES;"; } | mysql -h127.0.0.1 -uroot -N "$db" )
  rows=$(printf '%s\n' "$out" | grep -vP '^\d+\t[0-9.]+\t' | wc -l)
  med=$(printf '%s\n' "$out" | grep -P '^\d+\t[0-9.]+\t' | tail -5 | cut -f2 | sort -n | sed -n 3p)
  printf '%-14s median %8.1f ms  rows/6=%s\n' "$w" "$(echo "$med*1000" | bc -l)" "$((rows/6))"
done
