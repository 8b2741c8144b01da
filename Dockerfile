# 码上 (Mashang): the one binary in a small image.
#
#   docker build --pull -t mashang .
#   docker run -d --name mashang -p 127.0.0.1:8080:8080 -v mashang-data:/var/lib/mashang \
#     -e MASHANG_DB_DRIVER=mysql -e MASHANG_DB_DSN_FILE=/run/secrets/db_dsn ... mashang
#
# serve refuses to start without the Official Account's settings, naming the
# first one missing; to try the image, `docker run --rm -p 127.0.0.1:8080:8080
# mashang serve --sandbox` (fake WeChat, demo data, SQLite in the volume). See
# deploy/GUIDE.md for a city: MySQL, several instances, nginx, secrets.

# Build: pure Go (modernc SQLite needs no cgo), so the binary is static.
# go.mod asks for Go 1.26.8 or later and the official image will not fetch a
# newer toolchain (GOTOOLCHAIN=local): build with --pull so golang:1.26 is the
# newest 1.26.x.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags='-s -w' -o /out/mashang ./cmd/mashang

# Run: Debian slim for the CA certificates (api.weixin.qq.com is HTTPS), the
# time zones (logs and the console in Asia/Shanghai), and bash for the health
# check below; the service runs as an unprivileged user.
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 mashang \
 && useradd --system --uid 10001 --gid mashang --home-dir /var/lib/mashang --shell /usr/sbin/nologin mashang \
 && install -d -o mashang -g mashang -m 0750 /var/lib/mashang /var/lib/mashang/media
COPY --from=build /out/mashang /usr/local/bin/mashang

# Listen on every interface of the container (the host or the orchestrator
# decides who reaches it); data and media in the volume. Secrets are not set
# here: pass MASHANG_<NAME>_FILE=/run/secrets/<name> (Docker or Kubernetes
# secrets), never -e with the secret itself.
ENV TZ=Asia/Shanghai \
    MASHANG_HTTP_ADDR=0.0.0.0:8080 \
    MASHANG_DB_DSN=/var/lib/mashang/mashang.db \
    MASHANG_MEDIA_DIR=/var/lib/mashang/media \
    MASHANG_LOG_FORMAT=json
USER mashang:mashang
WORKDIR /var/lib/mashang
VOLUME ["/var/lib/mashang"]
EXPOSE 8080

# Liveness without curl: bash's /dev/tcp asks /healthz on the port serve
# listens on. (Readiness — the database answers — is /readyz: point the
# orchestrator's readiness probe and nginx there; Docker has only one check,
# and restarting a container because MySQL is away would not help.)
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MASHANG_HTTP_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 2 _ status _ <&3 && [ \"$status\" = 200 ]"]

# serve stops cleanly on SIGTERM within 10 s (requests in flight) plus the
# WeChat sends under way: give it `docker stop -t 30`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mashang"]
CMD ["serve"]
