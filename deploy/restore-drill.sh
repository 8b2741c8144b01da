#!/usr/bin/env bash
# The restore drill: back up the database and the media folder together,
# restore both into a fresh database and a fresh folder, and check that the
# restored service serves the same cases and the same photos, byte for byte.
#
#   1. `mashang serve --sandbox` on a MySQL database of its own takes a few
#      citizens' cases, each with a photo (played by `mashang simulate`);
#   2. the backup, while it serves, in the order that keeps the two
#      consistent: the database first (mariadb-dump --single-transaction, one
#      consistent snapshot without stopping anyone), the media folder after
#      (every file a dumped row names was written before its row, so it is
#      in the copy), with a SHA-256 list of the files;
#   3. the restore into a new database and a new folder, the list checked;
#   4. a second `mashang serve` on the restored pair: the console lists the
#      same case numbers and serves every photo with the same SHA-256.
#
# Needs Go, curl, MySQL or MariaDB on 127.0.0.1:3306 whose user may create
# and drop databases, and mariadb-dump and mariadb (or mysqldump, mysql).
# Everything is stopped and both databases dropped at the end, on failure too.
#
#   deploy/restore-drill.sh
#   CASES=10 KEEP=1 deploy/restore-drill.sh     # more cases; keep the folder
#
# Settings (environment): CASES (4), MYSQL_HOST (127.0.0.1), MYSQL_PORT
# (3306), MYSQL_USER (root), MYSQL_PASSWORD (none), PORT_SRC (18770) and
# PORT_DST (18771) for the two services, KEEP=1 keeps the working folder.
set -Eeuo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CASES=${CASES:-4}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
MYSQL_USER=${MYSQL_USER:-root}
MYSQL_PASSWORD=${MYSQL_PASSWORD:-}
PORT_SRC=${PORT_SRC:-18770}
PORT_DST=${PORT_DST:-18771}
KEEP=${KEEP:-}
SRC_DB=mashang_drill_src_$$
DST_DB=mashang_drill_dst_$$

DUMP=$(command -v mariadb-dump || command -v mysqldump)
CLIENT=$(command -v mariadb || command -v mysql)
export MYSQL_PWD=$MYSQL_PASSWORD
sql() { "$CLIENT" --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$MYSQL_USER" "$@"; }

WORK=$(mktemp -d /tmp/mashang-restore-drill.XXXXXX)
PIDS=()
cleanup() {
  status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  sql -e "DROP DATABASE IF EXISTS $SRC_DB; DROP DATABASE IF EXISTS $DST_DB" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "restore drill: FAILED (logs in $WORK)" >&2
    tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
  elif [ -z "$KEEP" ]; then
    rm -rf -- "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT

echo "restore drill: building mashang"
go build -o "$WORK/mashang" ./cmd/mashang

dsn() { echo "$MYSQL_USER${MYSQL_PASSWORD:+:$MYSQL_PASSWORD}@tcp($MYSQL_HOST:$MYSQL_PORT)/$1"; }

# serve NAME DB MEDIA PORT: a sandbox service (its console account is known)
# on the database and media folder given.
serve() {
  MASHANG_DB_DRIVER=mysql MASHANG_DB_DSN=$(dsn "$2") MASHANG_MEDIA_DIR=$3 \
    MASHANG_HTTP_ADDR=127.0.0.1:$4 MASHANG_PUBLIC_URL=http://127.0.0.1:$4 MASHANG_LOG_LEVEL=warn \
    "$WORK/mashang" serve --sandbox >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$4/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "restore drill: the $1 service did not become ready" >&2
  return 1
}

# signin PORT JAR: the sandbox's console account, signed in.
signin() {
  local csrf
  csrf=$(curl -fsS -c "$2" -b "$2" "http://127.0.0.1:$1/console/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fsS -o /dev/null -c "$2" -b "$2" --data-urlencode "csrf=$csrf" \
    --data-urlencode username=admin --data-urlencode password=mashang-sandbox "http://127.0.0.1:$1/console/login"
}

# served PORT JAR: every case number the console lists, then each photo's
# address and SHA-256 as served, sorted.
served() {
  local numbers n
  numbers=$(curl -fsS -b "$2" "http://127.0.0.1:$1/console/" | grep -o '/console/cases/[0-9A-Za-z-]*"' | tr -d '"' | sort -u)
  for n in $numbers; do
    echo "case $n"
    for m in $(curl -fsS -b "$2" "http://127.0.0.1:$1$n" | grep -o "$n/media/[0-9]*" | sort -u); do
      echo "media $m $(curl -fsS -b "$2" "http://127.0.0.1:$1$m" | sha256sum | cut -d' ' -f1)"
    done
  done
}

sql -e "CREATE DATABASE $SRC_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; CREATE DATABASE $DST_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
mkdir -p "$WORK/media-src" "$WORK/media-dst" "$WORK/backup"

echo "restore drill: $CASES citizens write in, each with a photo"
serve source "$SRC_DB" "$WORK/media-src" "$PORT_SRC"
for i in $(seq 1 "$CASES"); do
  MASHANG_HTTP_ADDR=127.0.0.1:$PORT_SRC "$WORK/mashang" simulate -openid "oDrill$$x$i" \
    -text "恢复演练第${i}件：小区门口的路灯坏了" >>"$WORK/simulate.log" 2>&1
done
# The photos arrive from WeChat (the sandbox's) shortly after the answers.
for _ in $(seq 1 100); do
  [ "$(find "$WORK/media-src" -type f | wc -l)" -ge "$CASES" ] && break
  sleep 0.2
done
[ "$(find "$WORK/media-src" -type f | wc -l)" -ge "$CASES" ] || { echo "restore drill: the photos did not arrive" >&2; exit 1; }
signin "$PORT_SRC" "$WORK/src.jar"
served "$PORT_SRC" "$WORK/src.jar" >"$WORK/served-src.txt"

echo "restore drill: backing up while serving (database, then media)"
"$DUMP" --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$MYSQL_USER" --single-transaction --routines --triggers \
  --hex-blob "$SRC_DB" | gzip >"$WORK/backup/db.sql.gz"
(cd "$WORK/media-src" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$WORK/backup/media.sha256"
tar -C "$WORK/media-src" -czf "$WORK/backup/media.tar.gz" .

echo "restore drill: restoring into a fresh database and folder"
gunzip -c "$WORK/backup/db.sql.gz" | sql "$DST_DB"
tar -C "$WORK/media-dst" -xzf "$WORK/backup/media.tar.gz"
(cd "$WORK/media-dst" && sha256sum --quiet -c "$WORK/backup/media.sha256")

serve restored "$DST_DB" "$WORK/media-dst" "$PORT_DST"
signin "$PORT_DST" "$WORK/dst.jar"
served "$PORT_DST" "$WORK/dst.jar" >"$WORK/served-dst.txt"

cases=$(grep -c '^case ' "$WORK/served-src.txt" || true)
photos=$(grep -c '^media ' "$WORK/served-src.txt" || true)
if [ "$cases" -lt "$CASES" ] || [ "$photos" -lt "$CASES" ]; then
  echo "restore drill: the source served $cases cases and $photos photos, want at least $CASES of each" >&2
  exit 1
fi
if ! diff -u "$WORK/served-src.txt" "$WORK/served-dst.txt"; then
  echo "restore drill: the restored service serves other cases or photos than the source" >&2
  exit 1
fi
echo "restore drill: passed: $cases cases and $photos photos served the same after restore"
