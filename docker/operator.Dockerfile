# tern-operator container image: build on Debian bookworm with the repository's own
# dependency script and CMake, run as a non-root user with only the runtime libraries.
#
#   podman build -f docker/operator.Dockerfile -t tern/tern-operator:0.1.0 .
#   docker build -f docker/operator.Dockerfile -t tern/tern-operator:0.1.0 .
#
# The chart's Deployment probes /healthz and /readyz on :8081 and scrapes /metrics on
# :8080; HEALTHCHECK below is for plain docker/podman runs.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN apt-get update -qq && scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build --target tern-operator -j"$(nproc)" \
 && strip --strip-debug -o /tern-operator /build/operator/tern-operator

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# The shared libraries tern-operator links (ldd of a bookworm build), CA certificates for
# the API server's TLS, curl for HEALTHCHECK.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libabsl20220623 libbrotli1 libcivetweb1 libcpprest2.10 libfmt9 libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 libspdlog1.10 libssl3 libyaml-cpp0.7 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 nonroot \
 && useradd --system --uid 65532 --gid nonroot --no-create-home --shell /usr/sbin/nologin nonroot
COPY --from=build /tern-operator /usr/bin/tern-operator
USER 65532:65532
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8081/healthz || exit 1
ENTRYPOINT ["/usr/bin/tern-operator"]
CMD ["--metrics-bind-address=:8080", "--health-probe-bind-address=:8081"]
