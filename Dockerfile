# syntax=docker/dockerfile:1
# Tideline server image.
#   docker build -t tideline .
#   docker compose up          (with PostgreSQL: see docker-compose.yml)
# The image runs `tideline serve`; it reads DATABASE_URL and TIDELINE_JWT_SECRET from the
# environment and applies the migrations in /app/migrations when it starts.

# ---- build ---------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build
WORKDIR /build

# Dependencies first: this layer stays cached until Package.swift changes. (Package.resolved is
# not committed: see .gitignore. When a build context has one, its pins are used.)
COPY ./Package.* ./
RUN swift package resolve

COPY . .
# The build products are a cache mount (x86_64 hosts; elsewhere the build simply runs uncached):
# a rebuild after a source change compiles only what changed. Everything needed later is copied out of it, in the same step, to /staging: the
# binary, the SwiftPM resource bundles next to it (if any), and the migrations.
RUN --mount=type=cache,target=/build/.build/x86_64-unknown-linux-gnu,id=tideline-swift-build \
    swift build -c release --product tideline \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /staging \
    && cp "$bin/tideline" /staging/ \
    && find -L "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
    && cp -R migrations /staging/migrations

# ---- run -------------------------------------------------------------------------------------
FROM swift:6.3-bookworm-slim

# curl for the container health check (GET /ready), CA certificates for TLS to a database.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin tideline

WORKDIR /app
# Owned by root, readable by all: the server cannot change its own binary or migrations.
COPY --from=build /staging/ /app/

ENV TIDELINE_MIGRATIONS=/app/migrations \
    TIDELINE_HOST=0.0.0.0 \
    TIDELINE_PORT=8080

USER tideline:tideline
EXPOSE 8080
ENTRYPOINT ["/app/tideline"]
CMD ["serve"]
