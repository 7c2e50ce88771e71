# syntax=docker/dockerfile:1
# The function's runtime image: a static binary on distroless, run as a non-root user.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY apis/ apis/
COPY fn/ fn/
COPY internal/ internal/
RUN go build -ldflags="-s -w" -o /function-tenantcluster .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /function-tenantcluster /function-tenantcluster
# gRPC (Crossplane connects here with mTLS) and Prometheus metrics.
EXPOSE 9443 8080
USER 65532:65532
ENTRYPOINT ["/function-tenantcluster"]
