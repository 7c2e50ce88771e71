// Command image builds the function's runtime image as an OCI tarball, with no container engine:
// the static binary on an empty base, run as the same non-root user, with the same entrypoint,
// ports and labels as the Dockerfile's image (image_test.go compares the two).
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entrypoint is where the binary lives in the image.
const entrypoint = "/function-tenantcluster"

// user is distroless's "nonroot", the user the Dockerfile's image runs as.
const user = "65532:65532"

func main() {
	binary := flag.String("binary", "", "the function binary, built for linux with CGO_ENABLED=0")
	version := flag.String("version", "", "the version the image is labelled with, e.g. v0.1.0")
	tag := flag.String("tag", "", "the image reference written into the tarball")
	out := flag.String("o", "", "the tarball to write")
	flag.Parse()
	if err := run(*binary, *version, *tag, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, version, tag, out string) error {
	if binary == "" || version == "" || tag == "" || out == "" {
		return fmt.Errorf("-binary, -version, -tag and -o are all required")
	}
	bin, err := os.ReadFile(binary) //nolint:gosec // the binary the Makefile names
	if err != nil {
		return err
	}
	img, err := build(bin, version)
	if err != nil {
		return err
	}
	ref, err := name.ParseReference(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, ref, img)
}

// build is the image: one layer with the binary and the user's passwd entry, and the runtime
// configuration. Timestamps are fixed, so the same binary always gives the same digest.
func build(bin []byte, version string) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		data, err := layerTar(bin)
		return io.NopCloser(bytes.NewReader(data)), err
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cfg.Config = config(version)
	return mutate.ConfigFile(img, cfg)
}

// config is the runtime configuration; image_test.go holds it to the Dockerfile's.
func config(version string) v1.Config {
	return v1.Config{
		User:       user,
		Entrypoint: []string{entrypoint},
		// gRPC (Crossplane connects here with mTLS) and Prometheus metrics.
		ExposedPorts: map[string]struct{}{"9443/tcp": {}, "8080/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "function-tenantcluster",
			"org.opencontainers.image.source":   "https://github.com/tenantcluster/function-tenantcluster",
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
}

// layerTar holds the binary and /etc/passwd and /etc/group naming the non-root user, as
// distroless has them, so tools that resolve the user by name find it.
func layerTar(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{entrypoint[1:], 0o755, bin},
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch}); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg, ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
