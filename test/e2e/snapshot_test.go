package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// snapshot is what a step may change of one composed resource: its identity and its spec's
// generation.
type snapshot struct {
	controlplane.Composed
	uid        string
	generation int64
}

func values(m map[string]snapshot) []snapshot {
	out := make([]snapshot, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

// waitGone waits until none of objs exists, listing what is left (and the finalizers holding
// what is being deleted) on timeout.
func waitGone(t *testing.T, what string, objs []snapshot, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, what+" gone", func() (bool, string) {
		var left []string
		for _, s := range objs {
			left = append(left, leftover(t, s.GVK, s.Namespace, s.Name)...)
		}
		sort.Strings(left)
		return len(left) == 0, strings.Join(left, "\n")
	})
}

// composed reads the claim's composed resources; nil while the claim has no XR.
func composed(t *testing.T, ns, name string) map[string]snapshot {
	t.Helper()
	claim := getClaim(t, ns, name)
	if claim == nil {
		return nil
	}
	xr, err := cp.Host.XROf(runCtx, claim)
	if err != nil || xr == nil {
		return nil
	}
	crs, err := cp.Host.ComposedOf(runCtx, xr)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]snapshot{}
	for _, cr := range crs {
		s := snapshot{Composed: cr}
		if cr.Object != nil {
			s.uid, s.generation = string(cr.Object.GetUID()), cr.Object.GetGeneration()
		}
		out[cr.Key()] = s
	}
	return out
}

// settled waits until the claim is Ready and its composed resources have not changed for a
// while, and returns them.
func settled(t *testing.T, ns, name string) map[string]snapshot {
	t.Helper()
	return settledAfter(t, ns, name, nil)
}

// settledAfter is settled, once the composed resources differ from before (the change being
// waited for has been composed).
func settledAfter(t *testing.T, ns, name string, before map[string]snapshot) map[string]snapshot {
	t.Helper()
	const quiet = 5 * time.Second
	var last map[string]snapshot
	var since time.Time
	eventually(t, 2*time.Minute, fmt.Sprintf("%s/%s settled", ns, name), func() (bool, string) {
		claim := getClaim(t, ns, name)
		if claim == nil || controlplane.Condition(claim, "Ready").Status != "True" {
			return false, "claim not ready\n" + tree(ns, name)
		}
		now := composed(t, ns, name)
		if before != nil && fmt.Sprint(diff(before, now)) == fmt.Sprint(changes{}) {
			return false, "the change is not composed yet"
		}
		if last == nil || fmt.Sprint(diff(last, now)) != fmt.Sprint(changes{}) {
			last, since = now, time.Now()
			return false, "still changing"
		}
		return time.Since(since) >= quiet, "settling"
	})
	return last
}

// tenantID is the tenant's id, which every composed resource carries as a label.
func tenantID(t *testing.T, ns, name string) string {
	t.Helper()
	return idOf(t, composed(t, ns, name))
}

func idOf(t *testing.T, snaps map[string]snapshot) string {
	t.Helper()
	for _, s := range snaps {
		if s.Object != nil {
			if id := s.Object.GetLabels()["tenantcluster.io/tenant"]; id != "" {
				return id
			}
		}
	}
	t.Fatal("no composed resource carries tenantcluster.io/tenant")
	return ""
}

// deleteAndWaitGone deletes the claim and waits until it is gone with everything it made
// (waitTenantGone), reporting how long that took.
func deleteAndWaitGone(t *testing.T, ns, name string, last map[string]snapshot, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := cp.Host.Delete(runCtx, gvkClaim, ns, name); err != nil {
		t.Fatal(err)
	}
	waitTenantGone(t, ns, name, last, timeout)
	took := time.Since(start)
	t.Logf("claim delete → everything gone: %s", took.Round(10*time.Millisecond))
	return took
}

// waitTenantGone waits until a deleted claim, everything it composed, everything those created
// on the host and Rancher's side, and its virtual cluster are gone. On timeout it lists what is
// left and which finalizers hold it.
func waitTenantGone(t *testing.T, ns, name string, last map[string]snapshot, timeout time.Duration) {
	t.Helper()
	id := idOf(t, last)
	targets := hostTargets(last)
	eventually(t, timeout, fmt.Sprintf("%s/%s and everything it composed gone", ns, name), func() (bool, string) {
		var left []string
		if getClaim(t, ns, name) != nil {
			left = append(left, "the claim")
		}
		for _, s := range append(values(last), targets...) {
			left = append(left, leftover(t, s.GVK, s.Namespace, s.Name)...)
		}
		if cp.StandIn(id) != nil {
			left = append(left, "the virtual cluster "+id)
		}
		sort.Strings(left)
		return len(left) == 0, strings.Join(left, "\n")
	})
}

// leftover describes an object that still exists: with its finalizers when it is being deleted.
func leftover(t *testing.T, gvk schema.GroupVersionKind, ns, name string) []string {
	t.Helper()
	o, found, err := cp.Host.Get(runCtx, gvk, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return nil
	}
	key := controlplane.Composed{GVK: gvk, Namespace: ns, Name: name}.Key()
	if o.GetDeletionTimestamp() != nil {
		return []string{fmt.Sprintf("%s deleting, finalizers %v", key, o.GetFinalizers())}
	}
	return []string{key + " exists"}
}

// hostTargets are the objects the composed Objects manage on the host (the tenant's namespace,
// Rancher's cluster, project and bindings); Objects inside the virtual cluster are left out, as
// the virtual cluster goes as a whole.
func hostTargets(last map[string]snapshot) []snapshot {
	var out []snapshot
	for _, s := range last {
		if s.GVK.Kind != "Object" || s.Object == nil {
			continue
		}
		if pc, _, _ := unstructured.NestedString(s.Object.Object, "spec", "providerConfigRef", "name"); pc != "default" {
			continue
		}
		m, _, _ := unstructured.NestedMap(s.Object.Object, "spec", "forProvider", "manifest")
		target := &unstructured.Unstructured{Object: m}
		out = append(out, snapshot{Composed: controlplane.Composed{
			GVK: target.GroupVersionKind(), Namespace: target.GetNamespace(), Name: target.GetName(),
		}})
	}
	return out
}
