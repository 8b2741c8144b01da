#!/bin/bash
# inscost.sh DB DESIGN [N]: N single-document writes in autocommit through
# one session; prints mariadbd's CPU (utime+stime) spent by that session's
# own thread and by the whole process, per document, in µs.
db=$1; design=$2; n=${3:-2000}
pid=$(pgrep -x mariadbd)
hz=$(getconf CLK_TCK)
cpu(){ awk '{print $14+$15}' "$1"; }
/tmp/ftbench_bin -ins ${design:0:1} -n $n -from $((200000000 + RANDOM * 1000)) > /tmp/ftbench_ins.sql
# C0: the postings alone, without the per-gram counts.
[ "$design" = C0 ] && sed -i "s/ INSERT INTO gram_counts[^;]*;//; s/^BEGIN; //; s/ COMMIT;$//" /tmp/ftbench_ins.sql
coproc M { mysql -h127.0.0.1 -uroot -N -n $db; }
echo "SELECT THREAD_OS_ID FROM performance_schema.threads WHERE PROCESSLIST_ID = CONNECTION_ID();" >&${M[1]}
read -r tid <&${M[0]}
t0=$(cpu /proc/$pid/task/$tid/stat); p0=$(cpu /proc/$pid/stat); s=$(date +%s.%N)
cat /tmp/ftbench_ins.sql >&${M[1]}
echo "SELECT 'done';" >&${M[1]}
while read -r line <&${M[0]}; do [ "$line" = done ] && break; done
t1=$(cpu /proc/$pid/task/$tid/stat); p1=$(cpu /proc/$pid/stat); e=$(date +%s.%N)
echo "$db $design: $n docs, wall $(echo "($e-$s)*1000000/$n" | bc) µs/doc, session thread CPU $(echo "($t1-$t0)*1000000/$hz/$n" | bc) µs/doc, whole mariadbd CPU $(echo "($p1-$p0)*1000000/$hz/$n" | bc) µs/doc"
eval "exec ${M[1]}>&-"
wait
