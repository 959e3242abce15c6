# Multi-stage build: compile in the Rust image, run in a small Debian image
# as an unprivileged user.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin upturn

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/upturn --create-home upturn
COPY --from=build /src/target/release/upturn /usr/local/bin/upturn
USER upturn
WORKDIR /var/lib/upturn
# glibc otherwise raises its mmap threshold after the first freed password
# hash (19 MiB) and keeps the later ones in its heaps: a login storm left
# 0.9-1 GiB resident instead of 64 MiB (bench/README.md, "Login storm").
ENV UPTURN_BIND=0.0.0.0:8080 \
    UPTURN_LOG_FORMAT=json \
    MALLOC_MMAP_THRESHOLD_=1048576
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/upturn"]
CMD ["serve"]
