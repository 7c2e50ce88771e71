package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// deletionStep is one step of a tenant's deletion, as docs/operating.md ("Data and deletion")
// and docs/rancher.md promise them in order. happened is read from the host API server and,
// once true, stays true (nothing deleted comes back).
type deletionStep struct {
	what     string
	happened func() (bool, error)
}

// deletionSteps are the steps for a tenant: Rancher lets go of the cluster while its agent can
// still run; then the virtual cluster's Release goes, and the data store's volume claims stay
// (the retention policy); then the host namespace is deleted, and with it the claims; a
// project made for the tenant outlives its namespace.
func deletionSteps(t *testing.T, last map[string]snapshot) []deletionStep {
	t.Helper()
	gone := func(gvk schema.GroupVersionKind, ns, name string) func() (bool, error) {
		return func() (bool, error) {
			_, found, err := cp.Host.Get(runCtx, gvk, ns, name)
			return !found, err
		}
	}
	var cluster, project, namespace *snapshot
	for _, s := range hostTargets(last) {
		switch {
		case s.GVK.Group == "provisioning.cattle.io" && s.GVK.Kind == "Cluster":
			cluster = &s
		case s.GVK.Group == "management.cattle.io" && s.GVK.Kind == "Project":
			project = &s
		case s.GVK.Kind == "Namespace":
			namespace = &s
		}
	}
	var release *snapshot
	for _, s := range last {
		// The vcluster's Release (a tenant with monitoring has another).
		if s.GVK.Kind == "Release" && s.Object != nil && s.Object.GetAnnotations()["crossplane.io/composition-resource-name"] == "vcluster" {
			release = &s
		}
	}
	if namespace == nil || release == nil {
		t.Fatalf("the tenant composed no host namespace or no Release: %v", keys(last))
	}
	var steps []deletionStep
	if cluster != nil {
		steps = append(steps, deletionStep{"Rancher's provisioning Cluster " + cluster.Name + " gone", gone(cluster.GVK, cluster.Namespace, cluster.Name)})
	}
	steps = append(steps, deletionStep{"the Release " + release.Name + " gone", gone(release.GVK, "", release.Name)})
	steps = append(steps, deletionStep{"the host namespace " + namespace.Name + " deleting", func() (bool, error) {
		o, found, err := cp.Host.Get(runCtx, namespace.GVK, "", namespace.Name)
		return !found || o.GetDeletionTimestamp() != nil, err
	}})
	claimsNS, claims := controlplane.DataClaims(release.Object)
	if len(claims) == 0 {
		t.Fatalf("the Release %s keeps its data in no volume claim", release.Name)
	}
	for _, c := range claims {
		steps = append(steps, deletionStep{"the data store's volume claim " + claimsNS + "/" + c + " gone", gone(schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}, claimsNS, c)})
	}
	steps = append(steps, deletionStep{"the host namespace " + namespace.Name + " gone", gone(namespace.GVK, "", namespace.Name)})
	if project != nil {
		steps = append(steps, deletionStep{"Rancher's project " + project.Namespace + "/" + project.Name + " gone", gone(project.GVK, project.Namespace, project.Name)})
	}
	return steps
}

// deletionOrder watches the steps while a tenant is deleted. Each look reads the steps from the
// last to the first: a later step seen done and an earlier one then seen not done means the
// later one happened first (steps do not undo). It starts before the claim is deleted; stop ends the watch after one last look and
// fails t for every step seen out of order, or not seen at all.
func deletionOrder(t *testing.T, steps []deletionStep) (stop func()) {
	t.Helper()
	var (
		mu       sync.Mutex
		seen     = make([]bool, len(steps))
		when     = make([]time.Duration, len(steps)) // since the watch began, when each step was first seen
		problems = map[string]bool{}
	)
	start := time.Now()
	look := func() {
		mu.Lock()
		defer mu.Unlock()
		later := -1 // the latest step seen done in this look
		for i := len(steps) - 1; i >= 0; i-- {
			done, err := steps[i].happened()
			switch {
			case err != nil:
				problems["reading "+steps[i].what+": "+err.Error()] = true
			case done:
				if !seen[i] {
					seen[i], when[i] = true, time.Since(start)
				}
				if later < 0 {
					later = i
				}
			case later > i:
				problems[steps[later].what+" before "+steps[i].what] = true
			}
		}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				look()
			}
		}
	}()
	return func() {
		t.Helper()
		close(quit)
		<-finished
		look()
		var log strings.Builder
		for i, s := range steps {
			if !seen[i] {
				t.Errorf("deleting the tenant: never saw %s", s.what)
				continue
			}
			fmt.Fprintf(&log, "\n  %8s  %s", when[i].Round(10*time.Millisecond), s.what)
		}
		t.Logf("deletion, from the claim's delete:%s", log.String())
		for _, p := range slices.Sorted(maps.Keys(problems)) {
			t.Errorf("deleting the tenant out of order: %s", p)
		}
	}
}

func keys(m map[string]snapshot) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
