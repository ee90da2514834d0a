# gasstock: the API server and the CLI in one small image.
#
#   docker build -t gasstock .
#   docker run -p 8080:8080 -e GASSTOCK_JWT_SECRET=... -v gasstock-data:/data gasstock
#
# Build stage: the release binaries, from the locked dependencies (the toolchain CI uses).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p gasstock-server -p gasstock-cli \
    && install -D -m 0755 target/release/gasstock-server target/release/gasstock -t /out/ \
    && mkdir -p /data

# Runtime stage: glibc and CA certificates, no shell, no package manager, user `nonroot`
# (65532). SQLite is compiled in, TLS is rustls: nothing else is needed.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
# The runtime image has no shell to mkdir/chown with: the data folder comes from the build
# stage already owned by `nonroot`, and a new named volume mounted on it takes that owner.
COPY --from=build --chown=65532:65532 /data /data
# Without GASSTOCK_DATABASE_URL the server keeps an SQLite file on the /data volume; the
# migrations run at every start, as outside a container.
ENV GASSTOCK_BIND=0.0.0.0:8080 \
    GASSTOCK_DATABASE_URL=sqlite:///data/gasstock.db \
    GASSTOCK_ENV=production
WORKDIR /data
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080
# The server binary asks its own /readyz (the image has no curl): healthy once the
# database answers.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/gasstock-server", "--healthcheck"]
# SIGTERM: in-flight requests finish (up to GASSTOCK_SHUTDOWN_TIMEOUT), then exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/gasstock-server"]
