package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The packages are installed the way a platform installs them: a Configuration naming the
// package by its public source; Crossplane resolves its dependencies (the function and both
// providers) and pulls everything through an ImageConfig that mirrors xpkg.crossplane.io to the
// loopback registry.
const (
	// upstream is the registry the packages are published to and named by (crossplane.yaml).
	upstream                = "xpkg.crossplane.io/"
	functionRepository      = "tenantcluster/function-tenantcluster"
	configurationRepository = "tenantcluster/configuration-tenantcluster"
	// FunctionName is the name Crossplane installs the Configuration's function dependency as
	// (its repository path as a DNS label): the Composition's functionRef.
	FunctionName = "tenantcluster-function-tenantcluster"
	// ConfigurationName is the platform's name for the installed Configuration.
	ConfigurationName = "tenantcluster"
	// packagesTimeout bounds an install or upgrade: pulls from loopback, dependency resolution
	// and the runtime's start.
	packagesTimeout = 3 * time.Minute
)

// Versions are the packages' versions the e2e installs (the first) and upgrades to (the
// second): make e2e-bins builds both into bin/e2e/xpkg (E2E_VERSIONS in the Makefile).
var Versions = []string{"v0.1.0", "v0.1.1"}

// PackagesIn is where make e2e-bins builds the packages under the project's bin folder.
func PackagesIn(bin string) string { return filepath.Join(bin, "e2e", "xpkg") }

var (
	gvkConfiguration = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Configuration"}
	gvkFunction      = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Function"}
	gvkProvider      = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Provider"}
)

// standInProvider is a provider the Configuration depends on. Its real package cannot be pulled
// here (no route to xpkg.crossplane.io), so the harness builds one from the provider's real CRDs
// (../shared/crds/<crds>) at the version the harness runs, and pushes it to the mirror under the
// provider's real name: the package manager installs its CRDs exactly as from the real package.
type standInProvider struct {
	repository, version, crds string
}

// name is the Provider object Crossplane creates for the dependency.
func (p standInProvider) name() string { return strings.ReplaceAll(p.repository, "/", "-") }

var standInProviders = []standInProvider{
	// Runs out of cluster, built from this exact version (test/tools/provider-kubernetes).
	{repository: "crossplane-contrib/provider-kubernetes", version: "v1.2.0", crds: "provider-kubernetes"},
	// Runs out of cluster, built from this exact version (test/tools/provider-helm).
	{repository: "crossplane-contrib/provider-helm", version: "v1.3.0", crds: "provider-helm"},
}

// publish pushes this project's two packages at version, as make e2e-bins built them, to the
// mirror.
func (cp *ControlPlane) publish(ctx context.Context, version string) error {
	for pkg, repository := range map[string]string{
		"function-tenantcluster":      functionRepository,
		"configuration-tenantcluster": configurationRepository,
	} {
		file := filepath.Join(cp.opts.Packages, pkg+"-"+version+".xpkg")
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("%w: run `make e2e-bins`", err)
		}
		if err := cp.push(ctx, file, repository, version); err != nil {
			return err
		}
	}
	return nil
}

// publishStandIns builds and pushes the stand-in provider packages.
func (cp *ControlPlane) publishStandIns(ctx context.Context) error {
	for _, p := range standInProviders {
		root := filepath.Join(cp.Dir, "stand-in-packages", p.name())
		if err := os.MkdirAll(filepath.Join(root, "no-examples"), 0o750); err != nil {
			return err
		}
		meta := fmt.Sprintf(standInProviderMeta, p.repository[strings.Index(p.repository, "/")+1:], p.repository, p.version, p.crds)
		if err := os.WriteFile(filepath.Join(root, "crossplane.yaml"), []byte(meta), 0o600); err != nil {
			return err
		}
		crds, err := filepath.Glob(filepath.Join(cp.opts.Shared, "crds", p.crds, "*.yaml"))
		if err != nil {
			return err
		}
		if len(crds) == 0 {
			return fmt.Errorf("no CRDs for %s under %s/crds/%s", p.repository, cp.opts.Shared, p.crds)
		}
		for _, f := range crds {
			data, err := os.ReadFile(f) //nolint:gosec // a CRD under ../shared/crds
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(root, filepath.Base(f)), data, 0o600); err != nil {
				return err
			}
		}
		out := filepath.Join(cp.Dir, "stand-in-packages", p.name()+".xpkg")
		if err := cp.build(ctx, root, out); err != nil {
			return err
		}
		if err := cp.push(ctx, out, p.repository, p.version); err != nil {
			return err
		}
	}
	return nil
}

const standInProviderMeta = `apiVersion: meta.pkg.crossplane.io/v1
kind: Provider
metadata:
  name: %s
  annotations:
    meta.crossplane.io/description: |
      Stand-in for xpkg.crossplane.io/%s:%s built by the e2e harness from the provider's
      real CRDs (../shared/crds/%s). Its controller runs out of cluster, as the
      External package runtime.
`

// installPackages mirrors the packages and installs the Configuration at version, as a
// platform engineer would, and waits until Crossplane reports it and every dependency healthy.
func (cp *ControlPlane) installPackages(ctx context.Context, version string) error {
	if err := cp.publishStandIns(ctx); err != nil {
		return err
	}
	if err := cp.publish(ctx, version); err != nil {
		return err
	}
	mirror := fmt.Sprintf(imageConfigTemplate, upstream, cp.registry.host+"/")
	if err := cp.Host.Apply(ctx, []byte(mirror)); err != nil {
		return err
	}
	cfg := object(gvkConfiguration, "", ConfigurationName, map[string]any{"spec": map[string]any{
		"package": upstream + configurationRepository + ":" + version,
	}})
	if err := cp.Host.ApplyObject(ctx, cfg); err != nil {
		return err
	}
	return cp.waitPackages(ctx, version)
}

// UpgradePackages publishes version and points the installed Configuration at it: the one edit a
// platform engineer makes (docs/upgrading.md). Crossplane upgrades the function dependency to
// match. It returns once Crossplane reports the new revisions active and healthy.
func (cp *ControlPlane) UpgradePackages(ctx context.Context, version string) error {
	if err := cp.publish(ctx, version); err != nil {
		return err
	}
	patch := map[string]any{"spec": map[string]any{"package": upstream + configurationRepository + ":" + version}}
	if err := cp.Host.MergePatch(ctx, gvkConfiguration, "", ConfigurationName, patch); err != nil {
		return err
	}
	return cp.waitPackages(ctx, version)
}

// waitPackages waits until the Configuration and the function are installed and healthy at
// version, and both providers are healthy.
func (cp *ControlPlane) waitPackages(ctx context.Context, version string) error {
	return poll(ctx, packagesTimeout, "packages installed at "+version, func() (bool, string, error) {
		why := cp.PackagesNotAt(ctx, version)
		return why == "", why, nil
	})
}

// PackagesNotAt says why the Configuration and the function are not installed and healthy at
// version, or a provider is not healthy at the version the harness runs; empty when all are.
func (cp *ControlPlane) PackagesNotAt(ctx context.Context, version string) string {
	type pkg struct {
		gvk     schema.GroupVersionKind
		name    string
		version string
	}
	pkgs := []pkg{{gvkConfiguration, ConfigurationName, version}, {gvkFunction, FunctionName, version}}
	for _, p := range standInProviders {
		pkgs = append(pkgs, pkg{gvkProvider, p.name(), p.version})
	}
	for _, p := range pkgs {
		o, found, err := cp.Host.Get(ctx, p.gvk, "", p.name)
		if err != nil || !found {
			return fmt.Sprintf("%s %s: found=%v %v", p.gvk.Kind, p.name, found, err)
		}
		if why := packageAt(o, p.version); why != "" {
			return why
		}
	}
	return ""
}

// packageAt says why a package is not installed and healthy at version; empty when it is.
func packageAt(o *unstructured.Unstructured, version string) string {
	current, _, _ := unstructured.NestedString(o.Object, "status", "currentIdentifier")
	if !strings.HasSuffix(current, ":"+version) {
		return fmt.Sprintf("%s %s is at %q, not %s", o.GetKind(), o.GetName(), current, version)
	}
	for _, t := range []string{"Installed", "Healthy"} {
		if c := Condition(o, t); c.Status != "True" {
			return fmt.Sprintf("%s %s not %s: %s %s", o.GetKind(), o.GetName(), t, c.Reason, c.Message)
		}
	}
	return ""
}

// The platform's mirror: every package named under xpkg.crossplane.io/ is pulled from the
// loopback registry instead, dependencies included.
const imageConfigTemplate = `
apiVersion: pkg.crossplane.io/v1beta1
kind: ImageConfig
metadata:
  name: mirror
spec:
  matchImages:
    - type: Prefix
      prefix: %s
  rewriteImage:
    prefix: %s
`
