package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var gvkCompositionRevision = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositionRevision"}

// TestPackageUpgrade runs a tenant through the packages as Crossplane's package manager installed
// them from the loopback registry, then installs the next version over them the way
// docs/upgrading.md tells a platform engineer to (one edit: the Configuration's package), and
// checks that the tenant moves to the new version without any composed resource being deleted,
// recreated or rewritten, and that the new function revision is the one composing afterwards.
func TestPackageUpgrade(t *testing.T) {
	from, to := controlplane.Versions[0], controlplane.Versions[1]
	if why := cp.PackagesNotAt(runCtx, from); why != "" {
		t.Skipf("the control plane is not at %s (another scenario upgraded it?): %s", from, why)
	}
	const ns, name = "team-upgrade", "upgrade"
	claim := claimFile(t, "examples/claims/full.yaml", ns, name)
	fullSecrets(t, ns)
	applyClaim(t, claim)
	before := settled(t, ns, name)
	if got := revisionVersion(t, ns, name); got != from {
		t.Fatalf("the tenant composes with the Composition of %q, want the installed package's %s", got, from)
	}
	assertConversionServed(t)
	running := cp.FunctionRevisionsRunning()
	if len(running) != 1 {
		t.Fatalf("function revisions running before the upgrade: %v, want the one of %s", running, from)
	}

	start := time.Now()
	if err := cp.UpgradePackages(runCtx, to); err != nil {
		t.Fatal(err)
	}
	t.Logf("Configuration %s → %s: it and the function dependency upgraded and healthy in %s", from, to, time.Since(start).Round(10*time.Millisecond))
	eventually(t, 2*time.Minute, "the tenant on the Composition of "+to, func() (bool, string) {
		got := revisionVersion(t, ns, name)
		return got == to, "composes with the Composition of " + got
	})
	eventually(t, time.Minute, "only the new function revision running", func() (bool, string) {
		now := cp.FunctionRevisionsRunning()
		return len(now) == 1 && !slices.Contains(now, running[0]), fmt.Sprintf("running %v, before the upgrade %v", now, running)
	})
	t.Logf("upgrade applied → the tenant on %s: %s", to, time.Since(start).Round(10*time.Millisecond))
	after := settled(t, ns, name)
	// Nothing deleted, created again or rewritten: the same composed resources, same uids, same
	// generations.
	assertChanges(t, before, after, changes{})

	// The new revision composes: a change made after the upgrade reaches the Release, and only it.
	setSpec(claim, "size", "small")
	applyClaim(t, claim)
	changed := settledAfter(t, ns, name, after)
	assertChanges(t, after, changed, changes{changed: []string{"Release/" + tenantID(t, ns, name) + "-vcluster"}})
	assertTokenKeptOut(t, ns, name)

	deleteAndWaitGone(t, ns, name, changed, 3*time.Minute)
	assertBreakerClosed(t)
}

// revisionVersion is the package version of the CompositionRevision the claim's XR composes
// with: make xpkg labels the packaged Composition with it.
func revisionVersion(t *testing.T, ns, name string) string {
	t.Helper()
	xr, err := cp.Host.XROf(runCtx, getClaim(t, ns, name))
	if err != nil || xr == nil {
		t.Fatalf("%s/%s has no XR: %v", ns, name, err)
	}
	rev, _, _ := unstructured.NestedString(xr.Object, "spec", "compositionRevisionRef", "name")
	if rev == "" {
		return ""
	}
	o, found, err := cp.Host.Get(runCtx, gvkCompositionRevision, "", rev)
	if err != nil || !found {
		t.Fatalf("CompositionRevision %s: found=%v %v", rev, found, err)
	}
	return o.GetLabels()["app.kubernetes.io/version"]
}

// assertConversionServed reads Objects at provider-kubernetes' older API version: the API server
// converts each through the conversion webhook Crossplane's package manager wired into the CRD,
// to the Service the package runtime made for the provider.
func assertConversionServed(t *testing.T) {
	t.Helper()
	objs, err := cp.Host.List(runCtx, schema.GroupVersionKind{Group: "kubernetes.crossplane.io", Version: "v1alpha1", Kind: "Object"}, "")
	if err != nil || len(objs) == 0 {
		t.Errorf("Objects at v1alpha1 through the provider's conversion webhook: %d objects, %v", len(objs), err)
	}
}
