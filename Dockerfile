# sugang: course-registration service of Goorm University.
#
# Two stages: a Rust builder and a slim Debian runtime. Dependencies are compiled in their own
# layer (against a dummy crate) so that a change under src/ only recompiles the crate itself;
# Kaniko (--cache=true) and BuildKit both reuse that layer while Cargo.toml/Cargo.lock are
# unchanged.

# Base images are pinned by digest (the tag alone moves under us; the digest is what was
# reviewed). To move on: `docker buildx imagetools inspect rust:1-bookworm` (and
# debian:bookworm-slim), review the new image, replace the digest. The tag stays for readers.

# ---- builder ---------------------------------------------------------------------------------
FROM rust:1-bookworm@sha256:93ce27a88655056a51dbdd8f5f2d7ddc071c7b0070fb288a37b5a285fc83971e AS builder

# mysqlclient-sys (Diesel's MySQL backend) links libmariadb through pkg-config.
# Versions are not pinned (DL3008): Debian stable replaces a package version at every point
# release and drops the old one from the mirror, so a pinned version breaks the build within
# weeks. The base image tag (bookworm) is what bounds these packages.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends default-libmysqlclient-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# 1. Dependencies only: the manifest, the lock file and an empty crate of the same shape
#    (lib + bin), so this layer is rebuilt only when the dependencies change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src

# 2. The real crate. Templates (askama), migrations (diesel_migrations) and static/ assets
#    (include_bytes!) are compiled into the binary: the runtime image needs nothing beside it.
COPY src/ src/
COPY migrations/ migrations/
COPY templates/ templates/
COPY static/ static/
# COPY keeps the files' own mtimes, which can be older than the dummy build's artifacts: forget
# the dummy crate so cargo cannot mistake it for the real one.
RUN cargo clean --release -p sugang \
 && cargo build --release --locked \
 && strip target/release/sugang

# ---- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim@sha256:7b140f374b289a7c2befc338f42ebe6441b7ea838a042bbd5acbfca6ec875818 AS runtime

# libmariadb3: the MySQL client library the binary links; ca-certificates: TLS to RDS/Redis.
# Not pinned (DL3008), for the same reason as in the builder.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sugang \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin sugang

WORKDIR /app
COPY --from=builder /app/target/release/sugang /usr/local/bin/sugang

ENV SUGANG_LISTEN=0.0.0.0:8080 \
    SUGANG_LOG_FORMAT=json

# Numeric user, so Kubernetes can enforce runAsNonRoot without guessing from a name.
USER 10001:10001
# 8080: the application; 9090: operations (/metrics) when SUGANG_OPS_LISTEN is set.
EXPOSE 8080 9090

# No HEALTHCHECK: Kubernetes ignores it and probes /healthz and /readyz itself (k8s/base).
# checkov:skip=CKV_DOCKER_2:Kubernetes probes /healthz and /readyz; a HEALTHCHECK would be ignored
ENTRYPOINT ["sugang"]
CMD ["serve"]
