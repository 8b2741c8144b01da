#!/bin/bash
# bench1.sh DB LABEL SQL: one warm-up run, then 5 in one session; prints the
# median and the spread (ms) from SHOW PROFILES and the rows of a run.
db=$1; label=$2; q=$3
out=$( { echo "SET profiling=1, profiling_history_size=20;"; for i in 1 2 3 4 5 6; do echo "$q;"; done; echo "SHOW PROFILES;"; } | mysql -h127.0.0.1 -uroot -N "$db" )
rows=$(printf '%s\n' "$out" | grep -vP '^\d+\t[0-9.]+\t' | grep -c .)
t=$(printf '%s\n' "$out" | grep -P '^\d+\t[0-9.]+\t' | tail -5 | cut -f2 | sort -n | awk '{printf "%.1f ", $1*1000}')
med=$(echo $t | cut -d' ' -f3)
printf '%-8s %-16s median %8s ms  (runs: %s) rows=%s\n' "$db" "$label" "$med" "$t" "$((rows/6))"
