package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// TestTenTenantsStayIndependent creates ten tenants from examples/claims/minimal.yaml at once,
// each in its own claim namespace, waits until all are ready, then deletes one and checks that
// the other nine are untouched before deleting them too.
func TestTenTenantsStayIndependent(t *testing.T) {
	const n = 10
	const name = "dev"
	namespaces := make([]string, n)
	start := time.Now()
	for i := range namespaces {
		namespaces[i] = fmt.Sprintf("team-%02d", i)
		applyClaim(t, claimFile(t, "examples/claims/minimal.yaml", namespaces[i], name))
	}
	readyIn := map[string]time.Duration{}
	eventually(t, 4*time.Minute, fmt.Sprintf("%d tenants ready", n), func() (bool, string) {
		var waiting []string
		for _, ns := range namespaces {
			if _, ok := readyIn[ns]; ok {
				continue
			}
			claim := getClaim(t, ns, name)
			if claim != nil && controlplane.Condition(claim, "Ready").Status == "True" {
				readyIn[ns] = time.Since(start)
				continue
			}
			waiting = append(waiting, ns)
		}
		return len(waiting) == 0, "waiting for " + strings.Join(waiting, ", ")
	})
	slowest := time.Duration(0)
	for _, d := range readyIn {
		slowest = max(slowest, d)
	}
	t.Logf("%d tenants applied at once → all Ready=True: %s", n, slowest.Round(10*time.Millisecond))

	// Each tenant's composed resources are its own: labelled with its id, named after it, and
	// its virtual cluster is its own API server.
	snaps := map[string]map[string]snapshot{}
	ids := map[string]string{}
	for _, ns := range namespaces {
		snaps[ns] = settled(t, ns, name)
		ids[ns] = tenantID(t, ns, name)
		assertTokenKeptOut(t, ns, name)
		for key, s := range snaps[ns] {
			if got := s.Object.GetLabels()["tenantcluster.io/tenant"]; got != ids[ns] {
				t.Errorf("%s/%s composed %s labelled for tenant %q", ns, name, key, got)
			}
			if !strings.HasPrefix(s.Name, ids[ns]+"-") {
				t.Errorf("%s/%s composed %s, not named after its tenant %s", ns, name, key, ids[ns])
			}
		}
	}
	urls := map[string]string{}
	for ns, id := range ids {
		vc := cp.StandIn(id)
		if vc == nil {
			t.Fatalf("%s: no virtual cluster", ns)
		}
		if other, dup := urls[vc.URL]; dup {
			t.Errorf("%s and %s share a virtual cluster", ns, other)
		}
		urls[vc.URL] = ns
	}

	first, rest := namespaces[0], namespaces[1:]
	deleteAndWaitGone(t, first, name, snaps[first], 3*time.Minute)
	for _, ns := range rest {
		if c := controlplane.Condition(getClaim(t, ns, name), "Ready"); c.Status != "True" {
			t.Errorf("%s/%s after deleting %s: Ready=%s %s", ns, name, first, c.Status, c.Message)
		}
		assertChanges(t, snaps[ns], composed(t, ns, name), changes{})
	}
	start = time.Now()
	for _, ns := range rest {
		if err := cp.Host.Delete(runCtx, gvkClaim, ns, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range rest {
		waitTenantGone(t, ns, name, snaps[ns], 3*time.Minute)
	}
	t.Logf("%d tenants deleted at once → everything gone: %s", len(rest), time.Since(start).Round(10*time.Millisecond))
	if cp.StandIns() != 0 {
		t.Errorf("%d virtual clusters left after every tenant was deleted", cp.StandIns())
	}
	assertBreakerClosed(t)
}
