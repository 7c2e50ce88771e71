package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ociRegistry is an OCI registry on loopback, go-containerregistry's in-memory one: the
// platform's package mirror. The harness pushes packages to it with the real
// `crossplane xpkg push`, and Crossplane pulls them through an ImageConfig that rewrites
// xpkg.crossplane.io/ to it, as an air-gapped platform mirrors its packages. go-containerregistry
// (which both use) speaks plain HTTP to 127.0.0.1, so no certificate is involved.
type ociRegistry struct {
	host string
	srv  *http.Server
}

func startRegistry() (*ociRegistry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	return &ociRegistry{host: l.Addr().String(), srv: srv}, nil
}

func (r *ociRegistry) stop() {
	if r != nil {
		_ = r.srv.Close()
	}
}

// push uploads an xpkg file to repository:tag on the registry with `crossplane xpkg push`.
func (cp *ControlPlane) push(ctx context.Context, file, repository, tag string) error {
	ref := fmt.Sprintf("%s/%s:%s", cp.registry.host, repository, tag)
	out, err := exec.CommandContext(ctx, cp.opts.Bins.Crank, "xpkg", "push", "-f", file, ref).CombinedOutput() //nolint:gosec // the harness's own tool and files
	if err != nil {
		return fmt.Errorf("crossplane xpkg push %s: %w\n%s", ref, err, out)
	}
	return nil
}

// build makes an xpkg from a package root with `crossplane xpkg build`.
func (cp *ControlPlane) build(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, cp.opts.Bins.Crank, "xpkg", "build", "--package-root="+root, "--examples-root="+root+"/no-examples", "-o", out) //nolint:gosec // the harness's own tool and files
	if b, err := cmd.CombinedOutput(); err != nil {
		return errors.Join(fmt.Errorf("crossplane xpkg build %s: %w", root, err), errors.New(string(b)))
	}
	return nil
}
