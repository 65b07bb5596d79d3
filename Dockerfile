# The leakhound container image: a static musl binary on distroless/static, run as a
# non-root user in /repo, where the repository to scan is mounted:
#   docker run --rm -v "$PWD:/repo" ghcr.io/leakhound/leakhound git
FROM rust:1.95-alpine AS build
# The C compiler's libc headers, for the vendored libgit2; the rust tag pins the toolchain.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && cp target/release/leakhound /leakhound \
    # /repo is owned by whoever mounts it, never by the image's user: git's ownership check
    # would refuse the repository.
    && printf '[safe]\n\tdirectory = *\n' > /gitconfig

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /leakhound /usr/local/bin/leakhound
COPY --from=build /gitconfig /etc/gitconfig
# nonroot in distroless/static
USER 65532:65532
WORKDIR /repo
ENTRYPOINT ["leakhound"]
CMD ["scan", "."]
