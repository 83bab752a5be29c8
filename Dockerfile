# almanac in a container: a static binary on an empty image, run as a
# non-root user. It samples the host when the host's /proc, /sys and / are
# mounted read-only at /host/proc, /host/sys and /host/rootfs (see
# examples/compose.yaml):
#
#   docker build -t almanac .
#   docker run -d --name almanac --pid host --network host --uts host \
#     -v /proc:/host/proc:ro -v /sys:/host/sys:ro -v /:/host/rootfs:ro,rslave \
#     -v almanac:/var/lib/almanac almanac
#
# The build fetches nothing but Go modules (from the Go module proxy).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download && go mod verify
# Only the packages of the binary: interop/ (its own module, with cgo),
# examples/ and docs stay out of the build.
COPY cmd ./cmd
COPY schema ./schema
COPY alert ./alert
COPY notify ./notify
COPY sample ./sample
COPY archive ./archive
COPY render ./render
COPY report ./report
COPY templates ./templates
COPY site ./site
ARG VERSION=devel
# timetzdata: --tz works without the image carrying /usr/share/zoneinfo.
RUN go build -tags timetzdata -ldflags "-s -w -X main.version=${VERSION}" -o /out/almanac ./cmd/almanac \
	&& /out/almanac --version \
	&& mkdir -p /out/archive /out/etc/ssl/certs \
	&& cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
	&& printf 'root:x:0:0:root:/:/sbin/nologin\nalmanac:x:65532:65532:almanac:/var/lib/almanac:/sbin/nologin\n' >/out/etc/passwd \
	&& printf 'root:x:0:\nalmanac:x:65532:\n' >/out/etc/group

FROM scratch
# CA certificates for almanac ship/publish/render over HTTPS to S3.
COPY --from=build /out/etc/ /etc/
COPY --from=build /out/almanac /almanac
# A named volume mounted here starts out owned by the almanac user.
COPY --from=build --chown=65532:65532 /out/archive /var/lib/almanac
USER 65532:65532
VOLUME /var/lib/almanac
ENTRYPOINT ["/almanac"]
CMD ["sample", "--archive", "/var/lib/almanac", "--interval", "10s", \
     "--proc", "/host/proc", "--sys", "/host/sys", "--rootfs", "/host/rootfs"]
# Healthy while this host's newest sample is under 2 minutes old. --proc
# makes health find the host's name where the sampler found it.
HEALTHCHECK --interval=1m --timeout=10s --start-period=1m --retries=3 \
	CMD ["/almanac", "health", "--archive", "/var/lib/almanac", "--proc", "/host/proc", "--max-age", "2m"]
