# The admin-api image: a release build, run as an unprivileged user, holding only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p admin-http \
 && install -D -m 0755 target/release/admin-api /out/admin-api

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app --create-home admin-api \
 && mkdir -p /app/data /keys \
 && chown admin-api:admin-api /app/data /keys
COPY --from=build /out/admin-api /usr/local/bin/admin-api
USER admin-api
WORKDIR /app
# 8080: the API, for the load balancer. 9000: metrics, health and readiness, for operators and
# their scrapers only (publish it to nobody else).
ENV ADMIN_API_BIND=0.0.0.0:8080 \
    ADMIN_API_MANAGEMENT_BIND=0.0.0.0:9000 \
    ADMIN_API_LOG_FORMAT=json
EXPOSE 8080 9000
# Ready: the database answers and the instance is not draining. bash's /dev/tcp, no curl needed.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 CMD \
  ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT []
CMD ["admin-api", "serve"]
