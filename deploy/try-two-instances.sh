#!/usr/bin/env bash
# Two `mashang serve` on one MySQL database behind nginx, all on this machine's
# loopback, loaded through nginx with the callback benchmark:
#
#   nginx 127.0.0.1:18080 (deploy/nginx/loopback.conf, least_conn, keep-alive)
#     ├── mashang serve 127.0.0.1:18081 ┐
#     └── mashang serve 127.0.0.1:18082 ┴── MySQL database mashang_try_<pid>, one media dir
#
# then checks that every push the benchmark sent was acknowledged and stored
# exactly once (inbound_messages, by MsgId and dedup key), that pushes sent
# again, as WeChat retries, stored nothing new, that both instances took a
# share (nginx's access log and each instance's /metrics), that nginx passes
# its request id, and that both instances stop cleanly on SIGTERM. Everything
# is stopped and the database dropped at the end, on failure too.
#
# Needs Go, nginx (Debian: apt-get install nginx-light), and MySQL or MariaDB
# on 127.0.0.1:3306 whose user may create and drop a database.
#
#   deploy/try-two-instances.sh
#   N=5000 ROUNDS=1 deploy/try-two-instances.sh                  # a quick run
#   MYSQL_USER=bench MYSQL_PASSWORD=… deploy/try-two-instances.sh
#
# Settings (environment): N pushes per round (20000), ROUNDS (3), CONNS
# connections (32), RESEND pushes sent again (1000), MYSQL_HOST (127.0.0.1),
# MYSQL_PORT (3306), MYSQL_USER (root), MYSQL_PASSWORD (none), NGINX (nginx),
# KEEP=1 keeps the working directory (logs) afterwards, KILL_ONE=1 kills the
# second instance with SIGKILL a third of the way through the load: nginx must
# then send everything to the first, retrying on it what the dead one had in
# flight, with no push lost, refused or stored twice.
set -Eeuo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-20000}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
RESEND=${RESEND:-1000}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
MYSQL_USER=${MYSQL_USER:-root}
MYSQL_PASSWORD=${MYSQL_PASSWORD:-}
NGINX=${NGINX:-nginx}
KEEP=${KEEP:-}
KILL_ONE=${KILL_ONE:-}
# The ports are those of deploy/nginx/loopback.conf.
PROXY=127.0.0.1:18080
INSTANCES=(127.0.0.1:18081 127.0.0.1:18082)
CONF=$ROOT/deploy/nginx/loopback.conf

DB=mashang_try_$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mashang-try.XXXXXX")
# nginx's workers run as nobody when nginx is started as root; they write
# their temporary files under the prefix.
chmod 0755 "$WORK"
mkdir -p "$WORK/nginx" "$WORK/media" "$WORK/secrets"
chmod 0700 "$WORK/secrets"

say() { printf '\n== %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
sql() { MYSQL_PWD=$MYSQL_PASSWORD mysql -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$MYSQL_USER" --batch --skip-column-names "$@"; }

serve_pids=()
nginx_pid=
db_created=
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$nginx_pid" ]; then
		kill -QUIT "$nginx_pid" 2>/dev/null
		wait "$nginx_pid" 2>/dev/null
	fi
	for pid in "${serve_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${serve_pids[@]}"; do wait "$pid" 2>/dev/null; done
	if [ -n "$db_created" ]; then
		sql -e "DROP DATABASE IF EXISTS \`$DB\`" && echo "dropped database $DB"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "try-two-instances: FAILED (exit $rc)" >&2
		for f in "$WORK"/migrate.log "$WORK"/serve-*.log "$WORK/nginx/error.log"; do
			[ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
		done
		if [ -s "$WORK/nginx/access.log" ]; then
			echo "--- nginx: answers by status" >&2
			awk '{print $7}' "$WORK/nginx/access.log" | sort | uniq -c >&2
		fi
	fi
	if [ -n "$KEEP" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v "$NGINX" >/dev/null || fail "no nginx: apt-get install nginx-light (or set NGINX=/path/to/nginx)"
command -v mysql >/dev/null || fail "no mysql client: apt-get install default-mysql-client"
command -v curl >/dev/null || fail "no curl"
for addr in "$PROXY" "${INSTANCES[@]}"; do
	if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
		fail "$addr is taken: loopback.conf's ports 18080–18082 must be free"
	fi
done

say "build"
make build

say "database $DB on $MYSQL_HOST:$MYSQL_PORT"
sql -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
db_created=1
sql -e "SELECT VERSION()"

# The secrets, as files (MASHANG_*_FILE), as systemd's LoadCredential or
# Docker's secrets hand them over. The Token and EncodingAESKey are made up:
# WeChat is played by the benchmark, and nothing here calls WeChat's API
# (MASHANG_WECHAT_API_BASE is a closed port: a text from a citizen who
# scanned nothing is stored and answered without any API call).
dsn="$MYSQL_USER${MYSQL_PASSWORD:+:$MYSQL_PASSWORD}@tcp($MYSQL_HOST:$MYSQL_PORT)/$DB"
printf '%s' "$dsn" >"$WORK/secrets/db_dsn"
aes=$(head -c 48 /dev/urandom | base64 -w0 | tr -d '/+=')
printf '%s' "${aes:0:43}" >"$WORK/secrets/wechat_aes_key"
printf 'try%s' "$$" >"$WORK/secrets/wechat_token"
head -c 24 /dev/urandom | base64 -w0 >"$WORK/secrets/wechat_secret"
head -c 36 /dev/urandom | base64 -w0 >"$WORK/secrets/session_secret"
APPID=wxtry000000000001
run_env=(
	env -i PATH="$PATH" HOME="$HOME" TZ=Asia/Shanghai
	MASHANG_DB_DRIVER=mysql
	MASHANG_DB_DSN_FILE="$WORK/secrets/db_dsn"
	MASHANG_WECHAT_APPID=$APPID
	MASHANG_WECHAT_SECRET_FILE="$WORK/secrets/wechat_secret"
	MASHANG_WECHAT_TOKEN_FILE="$WORK/secrets/wechat_token"
	MASHANG_WECHAT_AES_KEY_FILE="$WORK/secrets/wechat_aes_key"
	MASHANG_SESSION_SECRET_FILE="$WORK/secrets/session_secret"
	MASHANG_WECHAT_API_BASE=http://127.0.0.1:9
	MASHANG_MEDIA_DIR="$WORK/media"
	MASHANG_TRUSTED_PROXIES=127.0.0.1
	MASHANG_PUBLIC_URL="http://$PROXY"
	MASHANG_LOG_LEVEL=info
)

say "migrate (once, before the instances, as an upgrade does)"
"${run_env[@]}" bin/mashang migrate 2>"$WORK/migrate.log" || { cat "$WORK/migrate.log"; fail "migrate"; }

say "two instances"
for i in "${!INSTANCES[@]}"; do
	"${run_env[@]}" MASHANG_HTTP_ADDR="${INSTANCES[$i]}" bin/mashang serve \
		>"$WORK/serve-$((i + 1)).out" 2>"$WORK/serve-$((i + 1)).log" &
	serve_pids+=("$!")
done
for addr in "${INSTANCES[@]}"; do
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null && break
		for pid in "${serve_pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "an instance exited at start-up"; done
		sleep 0.2
	done
	curl -fsS "http://$addr/readyz" >/dev/null || fail "$addr is not ready"
	echo "$addr ready"
done

say "nginx on $PROXY ($("$NGINX" -v 2>&1))"
"$NGINX" -t -q -p "$WORK/nginx" -c "$CONF" -e "$WORK/nginx/error.log"
"$NGINX" -p "$WORK/nginx" -c "$CONF" -e "$WORK/nginx/error.log" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 50); do
	curl -fsS -o /dev/null "http://$PROXY/readyz" 2>/dev/null && break
	sleep 0.1
done
curl -fsS "http://$PROXY/readyz" >/dev/null || fail "nginx does not answer on $PROXY"
rid=$(curl -fsS -D - -o /dev/null "http://$PROXY/healthz" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" {print $2}')
[[ $rid =~ ^[0-9a-f]{32}$ ]] || fail "the service did not echo nginx's request id (got '$rid')"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$PROXY/metrics")" = 404 ] || fail "nginx lets /metrics through"

say "load: $ROUNDS rounds of $N pushes, $CONNS connections, then $RESEND sent again, through nginx"
env -i PATH="$PATH" HOME="$HOME" \
	MASHANG_WECHAT_APPID=$APPID \
	MASHANG_WECHAT_TOKEN_FILE="$WORK/secrets/wechat_token" \
	MASHANG_WECHAT_AES_KEY_FILE="$WORK/secrets/wechat_aes_key" \
	bin/mashang-bench callback --target "http://$PROXY/wechat/callback" \
	-n "$N" --rounds "$ROUNDS" -c "$CONNS" --resend "$RESEND" >"$WORK/bench.txt" &
bench_pid=$!
killed=
if [ -n "$KILL_ONE" ]; then
	# A third of the pushes through nginx, then the second instance dies.
	until [ "$(grep -c ' /wechat/callback ' "$WORK/nginx/access.log" 2>/dev/null)" -ge $((N * ROUNDS / 3)) ]; do
		kill -0 "$bench_pid" 2>/dev/null || break
		sleep 0.2
	done
	killed=${serve_pids[1]}
	kill -KILL "$killed"
	wait "$killed" 2>/dev/null || true
	serve_pids=("${serve_pids[0]}")
	echo "killed the instance on ${INSTANCES[1]} (SIGKILL) during the load"
	INSTANCES=("${INSTANCES[0]}")
fi
wait "$bench_pid" || { cat "$WORK/bench.txt"; fail "the benchmark failed"; }
cat "$WORK/bench.txt"
summary=$(grep '^target-summary ' "$WORK/bench.txt")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$summary"; }
sent=$(field sent)
acked=$(field acknowledged)
first=$(field first_msgid)
last=$(field last_msgid)
[ "$acked" = "$sent" ] || fail "$acked of $sent pushes acknowledged"

say "checks"
# Every acknowledged push stored once: one row per MsgId, one per dedup key,
# nothing else stored — the retries included.
read -r rows keys ids others < <(sql "$DB" -e "
	SELECT SUM(msg_id BETWEEN $first AND $last AND msg_type = 'text'),
	       COUNT(DISTINCT CASE WHEN msg_id BETWEEN $first AND $last THEN dedup_key END),
	       COUNT(DISTINCT CASE WHEN msg_id BETWEEN $first AND $last THEN msg_id END),
	       SUM(NOT (msg_id BETWEEN $first AND $last))
	FROM inbound_messages")
echo "inbound_messages: $rows rows for the $sent pushes, $keys dedup keys, $ids MsgIds, $others other rows"
[ "$rows" = "$sent" ] && [ "$keys" = "$sent" ] && [ "$ids" = "$sent" ] && [ "$others" = 0 ] ||
	fail "stored $rows rows ($keys keys, $ids MsgIds, $others others) for $sent acknowledged pushes"

# Both instances served: by nginx's log (which instance answered each push)
# and by each instance's own count of what it stored and what it found
# already stored.
sleep 1.5 # nginx flushes its access log buffer every second
log=$WORK/nginx/access.log
grep -q "rid=$rid\$" "$log" || fail "request id $rid not in nginx's access log"
echo "nginx: pushes answered, by instance (a retried push names both):"
grep ' /wechat/callback ' "$log" | sed -n 's/.* \([0-9]\{3\}\) [0-9]* rt=.* upstream=\(.*\) ustatus=.*/\1 \2/p' | sort | uniq -c | tee "$WORK/shares.txt"
# mashang_callbacks_total{endpoint="oa",outcome="…",type="…"} N, summed over types.
metric() {
	awk -v want="outcome=\"$2\"" '/^mashang_callbacks_total\{endpoint="oa",/ && index($0, want) {s += $NF} END {printf "%d", s}' \
		"$WORK/metrics-${1##*:}.txt"
}
stored_total=0
repeat_total=0
for addr in "${INSTANCES[@]}"; do
	curl -fsS "http://$addr/metrics" >"$WORK/metrics-${addr##*:}.txt"
	n=$(metric "$addr" stored)
	r=$(metric "$addr" repeat)
	echo "$addr: stored $n, repeats answered $r"
	[ "$n" -gt 0 ] || fail "$addr stored nothing: nginx sent it no pushes"
	stored_total=$((stored_total + n))
	repeat_total=$((repeat_total + r))
done
if [ -z "$killed" ]; then
	[ "$stored_total" = "$sent" ] || fail "the instances stored $stored_total pushes between them, $sent were sent"
	[ "$repeat_total" -ge "$RESEND" ] || fail "only $repeat_total repeats answered for $RESEND sent again"
else
	# The dead instance's counts died with it; nginx's log tells the rest.
	share2=$(grep ' /wechat/callback ' "$log" | grep -c "upstream=127.0.0.1:18082" || true)
	retried=$(grep ' /wechat/callback ' "$log" | grep -c "upstream=[^ ]*, " || true)
	echo "the killed instance answered $share2 pushes before it died; nginx retried $retried on the survivor," \
		"$((repeat_total - RESEND)) of which the killed one had stored without answering (the survivor's repeats beyond the $RESEND resent)"
	[ "$share2" -gt 0 ] || fail "the killed instance had answered nothing"
fi
# Anything but 2xx, the /metrics probe above (404 by design) aside.
bad=$(awk '$7 !~ /^2/ && $5 != "/metrics"' "$log" | wc -l)
[ "$bad" = 0 ] || fail "nginx answered $bad requests with something other than 2xx"

say "stop: nginx, then each instance on SIGTERM"
kill -QUIT "$nginx_pid"
wait "$nginx_pid" || fail "nginx did not stop cleanly"
nginx_pid=
for pid in "${serve_pids[@]}"; do
	start=$(date +%s.%N)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
	echo "instance $pid stopped in $took s, exit $rc"
	[ "$rc" = 0 ] || fail "an instance exited $rc on SIGTERM"
done
serve_pids=()

say "result ($(date +%F), $(nproc) CPU, $(sql -e 'SELECT VERSION()'), $("$NGINX" -v 2>&1 | sed 's/.*: //'))"
sed -n '/^round/,/^resent /p' "$WORK/bench.txt"
echo "stored exactly once: $rows of $sent; answered by: $(awk '{c = $1; $1 = $2 = ""; sub(/^ +/, ""); printf "%s%s %s", sep, $0, c; sep = "; "}' "$WORK/shares.txt")"
echo "PASS"
