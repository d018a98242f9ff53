# ternd container image: build on Debian bookworm with the repository's own dependency
# script and CMake, run as a non-root user with only the runtime libraries.
#
#   podman build -f docker/server.Dockerfile -t tern/ternd:0.1.0 .
#   docker build -f docker/server.Dockerfile -t tern/ternd:0.1.0 .
#
# In Kubernetes, tern-operator mounts the cluster's tern.yaml at /etc/tern/tern.yaml and
# probes /v1/ready and /v1/health on the admin port; HEALTHCHECK below is for plain
# docker/podman runs.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN apt-get update -qq && scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build --target ternd -j"$(nproc)" \
 && strip --strip-debug -o /ternd /build/server/ternd

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# The shared libraries ternd links (ldd of a bookworm build), plus curl for HEALTHCHECK.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libabsl20220623 libbrotli1 libbz2-1.0 libc-ares2 libcivetweb1 libcpprest2.10 libfmt9 \
      libgflags2.2 libgrpc++1.51 libgrpc29 liblua5.4-0 liblz4-1 libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 libprotobuf32 libre2-9 librocksdb7.8 libsnappy1v5 \
      libspdlog1.10 libssl3 libyaml-cpp0.7 libzstd1 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tern \
 && useradd --system --uid 10001 --gid tern --home-dir /var/lib/tern --shell /usr/sbin/nologin tern \
 && mkdir -p /var/lib/tern /etc/tern && chown tern:tern /var/lib/tern
COPY --from=build /ternd /usr/bin/ternd
COPY docker/ternd.yaml /etc/tern/tern.yaml
USER 10001:10001
WORKDIR /var/lib/tern
VOLUME /var/lib/tern
# service (Aerospike protocol), fabric, gRPC, admin REST, Prometheus metrics
EXPOSE 3000 3001 3100 8080 9145
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/v1/ready || exit 1
ENTRYPOINT ["/usr/bin/ternd"]
CMD ["--config", "/etc/tern/tern.yaml"]
