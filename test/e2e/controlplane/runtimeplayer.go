package controlplane

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The package runtime. Crossplane runs here with --package-runtime=External: it pulls packages,
// resolves dependencies and installs CRDs itself, and leaves running each package revision to an
// external runtime, which in a cluster would be Deployments and Services. The runtime player is
// that runtime, and does what Crossplane's own Deployment runtime does, without pods:
//
//   - every provider and function revision gets a TLS server Secret and names it in its status
//     (Crossplane will not install a revision's objects before; the Secret's tls.crt becomes the
//     caBundle of the provider's conversion webhooks);
//   - a provider gets a Service of its package's name, so the conversion webhook Crossplane wires
//     into its CRDs reaches it (an ExternalName Service for localhost: no pods, no cluster IPs);
//   - an active function revision runs the binary from its own package image, the entrypoint
//     Crossplane's runtime would start in the container, with the endpoint in the revision's
//     status; an inactive one is stopped, as its Deployment would be removed;
//   - provider-kubernetes and provider-helm run from the binaries built at the same versions.
//
// Once a revision runs, it is marked RuntimeHealthy, which Crossplane reads for package health.

var (
	gvkFunctionRevision = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "FunctionRevision"}
	gvkProviderRevision = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "ProviderRevision"}
	gvkService          = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
)

// packageNamespace is where Crossplane and its packages' Secrets and Services live.
const packageNamespace = "crossplane-system"

// packageLabel names a revision's package (pkg.crossplane.io/package).
const packageLabel = "pkg.crossplane.io/package"

// functionRuntime is one function revision running from its package image.
type functionRuntime struct {
	proc     *process
	endpoint string
}

func (cp *ControlPlane) playRuntime(ctx context.Context) error {
	var errs []error
	for _, gvk := range []schema.GroupVersionKind{gvkProviderRevision, gvkFunctionRevision} {
		revs, err := cp.Host.List(ctx, gvk, "")
		if err != nil {
			return err
		}
		for i := range revs {
			if err := cp.runRevision(ctx, &revs[i]); err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", gvk.Kind, revs[i].GetName(), err))
			}
		}
	}
	return errors.Join(errs...)
}

func (cp *ControlPlane) runRevision(ctx context.Context, rev *unstructured.Unstructured) error {
	pkg := rev.GetLabels()[packageLabel]
	if pkg == "" || rev.GetDeletionTimestamp() != nil {
		return nil
	}
	secret, err := cp.ensureTLSSecret(ctx, pkg)
	if err != nil {
		return err
	}
	status := map[string]any{}
	if observed, _, _ := unstructured.NestedString(rev.Object, "status", "tlsServerSecretName"); observed != secret {
		status["tlsServerSecretName"] = secret
	}
	state, _, _ := unstructured.NestedString(rev.Object, "spec", "desiredState")
	active := state == "Active"
	// Run a revision once Crossplane has installed its objects (its CRDs exist), as a pod could
	// not start before its image was pulled.
	var healthy bool
	if active && Condition(rev, "RevisionHealthy").Status == "True" {
		if rev.GetKind() == "FunctionRevision" {
			endpoint, err := cp.runFunction(ctx, rev, pkg)
			if err != nil {
				return err
			}
			if current, _, _ := unstructured.NestedString(rev.Object, "status", "endpoint"); current != endpoint {
				status["endpoint"] = endpoint
			}
		} else if err := cp.runProvider(ctx, pkg); err != nil {
			return err
		}
		healthy = true
	}
	if !active && rev.GetKind() == "FunctionRevision" {
		cp.stopFunction(rev.GetName())
	}
	if healthy && Condition(rev, "RuntimeHealthy").Status != "True" {
		conds, _, _ := unstructured.NestedSlice(rev.Object, "status", "conditions")
		status["conditions"] = append(conds, condition("RuntimeHealthy", "True", "HealthyPackageRevision", ""))
	}
	if len(status) == 0 {
		return nil
	}
	for k, v := range status {
		if err := unstructured.SetNestedField(rev.Object, v, "status", k); err != nil {
			return err
		}
	}
	// A conflict means Crossplane wrote in between: read again on the next round.
	if err := cp.Host.UpdateStatus(ctx, rev); err != nil && !apierrors.IsConflict(err) {
		return err
	}
	return nil
}

// ensureTLSSecret writes the package's TLS server Secret once: the certificate its server uses,
// issued by the control plane's CA for its Service name.
func (cp *ControlPlane) ensureTLSSecret(ctx context.Context, pkg string) (string, error) {
	name := pkg + "-tls-server"
	if _, found, err := cp.Host.Get(ctx, gvkSecret, packageNamespace, name); err != nil || found {
		return name, err
	}
	dir := cp.pki("packages", pkg)
	if _, err := os.Stat(filepath.Join(dir, "tls.crt")); err != nil {
		if err := cp.ca.issue(dir, pkg, pkg+"."+packageNamespace+".svc"); err != nil {
			return "", err
		}
	}
	data := map[string]any{}
	for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
		b, err := os.ReadFile(filepath.Join(dir, f)) //nolint:gosec // the harness's own certificate
		if err != nil {
			return "", err
		}
		data[f] = string(b)
	}
	return name, cp.Host.ApplyObject(ctx, object(gvkSecret, packageNamespace, name, map[string]any{"stringData": data}))
}

// runProvider runs a provider revision: its Service and its process.
// Crossplane wires webhooks to port 9443 of the Service (its revision.ServicePort), which is
// controller-runtime's default and where provider-kubernetes serves; an ExternalName Service has
// no port mapping, so the call reaches localhost:9443.
func (cp *ControlPlane) runProvider(ctx context.Context, pkg string) error {
	svc := object(gvkService, packageNamespace, pkg, map[string]any{"spec": map[string]any{
		"type": "ExternalName", "externalName": "localhost",
	}})
	if err := cp.Host.ApplyObject(ctx, svc); err != nil {
		return err
	}
	switch {
	case pkg == standInProviders[0].name() && cp.providerKubernetes == nil:
		p, err := cp.startProviderKubernetes(ctx, cp.pki("packages", pkg))
		if err != nil {
			return err
		}
		cp.providerKubernetes = p
	case pkg == standInProviders[1].name() && cp.providerHelm == nil:
		p, err := cp.startProviderHelm(ctx)
		if err != nil {
			return err
		}
		cp.providerHelm = p
	}
	return nil
}

// runFunction runs an active function revision from its package image, once, and returns the
// endpoint it serves on.
func (cp *ControlPlane) runFunction(ctx context.Context, rev *unstructured.Unstructured, pkg string) (string, error) {
	cp.mu.Lock()
	fr, running := cp.functions[rev.GetName()]
	cp.mu.Unlock()
	if running {
		return fr.endpoint, fr.proc.exited()
	}
	image, _, _ := unstructured.NestedString(rev.Object, "status", "resolvedImage")
	if image == "" {
		return "", errors.New("no status.resolvedImage yet")
	}
	dir := filepath.Join(cp.Dir, "runtime", rev.GetName())
	entrypoint, err := extractEntrypoint(ctx, image, dir)
	if err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	p, err := startProcess(filepath.Join(cp.Dir, "logs"), "function-"+rev.GetName(),
		// As Crossplane's runtime mounts the TLS Secret and names it in the environment.
		[]string{"TLS_SERVER_CERTS_DIR=" + cp.pki("packages", pkg)},
		entrypoint, "--address="+addr(port), "--metrics-address=", "--debug")
	if err != nil {
		return "", err
	}
	if err := waitListening(ctx, p, addr(port)); err != nil {
		p.stop()
		return "", err
	}
	cp.mu.Lock()
	cp.functions[rev.GetName()] = &functionRuntime{proc: p, endpoint: addr(port)}
	cp.mu.Unlock()
	cp.opts.Logf("function revision %s runs %s from %s on %s", rev.GetName(), filepath.Base(entrypoint), image, addr(port))
	return addr(port), nil
}

func (cp *ControlPlane) stopFunction(revision string) {
	cp.mu.Lock()
	fr, running := cp.functions[revision]
	delete(cp.functions, revision)
	cp.mu.Unlock()
	if running {
		fr.proc.stop()
		cp.opts.Logf("function revision %s is inactive: stopped", revision)
	}
}

// FunctionRevisionsRunning names the function revisions the runtime runs now.
func (cp *ControlPlane) FunctionRevisionsRunning() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	names := make([]string, 0, len(cp.functions))
	for n := range cp.functions {
		names = append(names, n)
	}
	return names
}

// extractEntrypoint pulls a package image and writes its entrypoint's file into dir.
func extractEntrypoint(ctx context.Context, image, dir string) (string, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return "", err
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	if len(cfg.Config.Entrypoint) == 0 {
		return "", fmt.Errorf("%s has no entrypoint", image)
	}
	want := strings.TrimPrefix(cfg.Config.Entrypoint[0], "/")
	fs := mutate.Extract(img)
	defer func() { _ = fs.Close() }()
	t := tar.NewReader(fs)
	for {
		h, err := t.Next()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("%s: entrypoint %s is not in the image", image, cfg.Config.Entrypoint[0])
		}
		if err != nil {
			return "", err
		}
		if strings.TrimPrefix(h.Name, "./") != want {
			continue
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", err
		}
		path := filepath.Join(dir, filepath.Base(want))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o750) //nolint:gosec // the harness's own folder
		if err != nil {
			return "", err
		}
		_, err = io.Copy(f, t) //nolint:gosec // our own image, size bounded by the registry
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return path, err
	}
}

// waitListening waits until a process accepts connections on address.
func waitListening(ctx context.Context, p *process, address string) error {
	return poll(ctx, time.Minute, p.name+" listening", func() (bool, string, error) {
		if err := p.exited(); err != nil {
			return false, "", err
		}
		c, err := net.DialTimeout("tcp", address, time.Second)
		if err != nil {
			return false, err.Error(), nil
		}
		_ = c.Close()
		return true, "", nil
	})
}
