package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// TestTenantLifecycle creates the tenant of examples/claims/full.yaml and waits until every layer
// is ready, reporting how long each took from the apply; checks that Rancher's agent is admitted
// by the virtual cluster's Pod Security only in its own namespace, that the registration
// token is nowhere the function sees, and that what Helm installed on the host holds the
// tenant's numbers and was admitted by the host's Pod Security; changes its size and then an owner and
// checks that exactly the expected composed resources change; then deletes it and checks that
// it goes in order and that nothing it composed is left behind or stuck in deletion.
func TestTenantLifecycle(t *testing.T) {
	const ns, name = "team-payments", "payments"
	claim := claimFile(t, "examples/claims/full.yaml", ns, name)
	password := fullSecrets(t, ns)
	start := time.Now()
	applyClaim(t, claim)
	times := layerTimes(t, ns, name, start, 2*time.Minute)
	for _, c := range layerConditions {
		t.Logf("claim apply → %s=True: %s", c, times[c].Round(10*time.Millisecond))
	}
	t.Log("\n" + tree(ns, name))
	assertTenantKubeconfigWorks(t, claim)
	before := settled(t, ns, name)
	assertAgentAdmission(t, idOf(t, before))
	assertTokenKeptOut(t, ns, name)
	assertNothingComposedHolds(t, ns, name, before, password)
	assertHostIsolation(t, claim)
	assertControlPlanePodSecurity(t, claim)

	t.Run("size", func(t *testing.T) {
		// The size profile shapes the virtual cluster's control plane, quota and limit range:
		// all of them values of the vcluster Release, and nothing else.
		setSpec(claim, "size", "small")
		applyClaim(t, claim)
		after := settledAfter(t, ns, name, before)
		assertChanges(t, before, after, changes{changed: []string{"Release/" + tenantID(t, ns, name) + "-vcluster"}})
		// provider-helm upgraded the release: the host holds the new profile's numbers.
		assertHostIsolation(t, claim)
		before = after
	})

	t.Run("refused size", func(t *testing.T) {
		// "large" runs three replicas on etcd; this tenant keeps its data in sqlite, which cannot
		// change in place. The function refuses, the claim says why and what to do, and nothing
		// composed changes.
		setSpec(claim, "size", "large")
		applyClaim(t, claim)
		want := `spec.size: size "large" runs 3 control plane replicas on etcd, but this virtual cluster keeps its data in sqlite, which cannot change without losing it; choose a size with one replica`
		eventually(t, time.Minute, "the claim reports the refused size", func() (bool, string) {
			c := controlplane.Condition(getClaim(t, ns, name), "VClusterReady")
			return c.Status == "False" && c.Reason == "InvalidSpec" && c.Message == want, fmt.Sprintf("%+v", c)
		})
		assertChanges(t, before, composed(t, ns, name), changes{})
		setSpec(claim, "size", "small")
		applyClaim(t, claim)
		eventually(t, time.Minute, "the claim is accepted again", func() (bool, string) {
			c := controlplane.Condition(getClaim(t, ns, name), "VClusterReady")
			return c.Status == "True", fmt.Sprintf("%+v", c)
		})
		assertChanges(t, before, settled(t, ns, name), changes{})
	})

	t.Run("owner", func(t *testing.T) {
		// An owner is one ClusterRoleTemplateBinding (cluster owner) and one
		// ProjectRoleTemplateBinding (project owner): the old owner's pair goes, the new one's
		// comes, nothing else changes.
		rancher := claim.Object["spec"].(map[string]any)["rancher"].(map[string]any)
		rancher["owners"] = []any{map[string]any{"group": "keycloakoidc_group://payments-platform"}}
		applyClaim(t, claim)
		after := settledAfter(t, ns, name, before)
		got := diff(before, after)
		if kinds(got.added) != "crtb,prtb" || kinds(got.removed) != "crtb,prtb" || len(got.changed) != 0 {
			t.Errorf("changing an owner: want one CRTB and one PRTB replaced and nothing else changed; got %s", got)
		}
		// What is no longer composed is deleted, and with it the binding in Rancher.
		removed := map[string]snapshot{}
		for _, k := range got.removed {
			removed[k] = before[k]
		}
		waitGone(t, "the old owner's bindings", append(hostTargets(removed), values(removed)...), time.Minute)
		before = after
	})

	t.Run("delete", func(t *testing.T) {
		// In the order docs/operating.md promises: Rancher first, then the Release, whose data
		// stays until the host namespace is deleted, and the project last.
		stop := deletionOrder(t, deletionSteps(t, before))
		deleteAndWaitGone(t, ns, name, before, 3*time.Minute)
		stop()
	})
	assertBreakerClosed(t)
}

// changes are the composed resources, by Key, that a step adds, removes or changes the spec of.
type changes struct{ added, removed, changed []string }

func (c changes) String() string {
	return fmt.Sprintf("added %v, removed %v, changed %v", c.added, c.removed, c.changed)
}

func diff(before, after map[string]snapshot) changes {
	var c changes
	for k, a := range after {
		b, ok := before[k]
		switch {
		case !ok:
			c.added = append(c.added, k)
		case a.uid != b.uid:
			// Deleted and created again: the worst change of all, reported as both.
			c.removed, c.added = append(c.removed, k), append(c.added, k)
		case a.generation != b.generation:
			c.changed = append(c.changed, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			c.removed = append(c.removed, k)
		}
	}
	sort.Strings(c.added)
	sort.Strings(c.removed)
	sort.Strings(c.changed)
	return c
}

func assertChanges(t *testing.T, before, after map[string]snapshot, want changes) {
	t.Helper()
	got := diff(before, after)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("composed resources changed unexpectedly:\nwant %s\n got %s", want, got)
	}
}

// kinds names the role bindings among keys by their composition name prefix (crtb, prtb), sorted.
func kinds(keys []string) string {
	var out []string
	for _, k := range keys {
		for _, p := range []string{"crtb", "prtb"} {
			if strings.Contains(k, "-"+p+"-") {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func assertBreakerClosed(t *testing.T) {
	t.Helper()
	opens, err := cp.CircuitBreakerOpens(runCtx)
	if err != nil {
		t.Fatal(err)
	}
	if events, err := cp.CircuitBreakerEvents(runCtx); err == nil {
		t.Logf("watch events that reached TenantClusters' circuit breakers so far: %.0f", events)
	}
	if opens != 0 {
		t.Errorf("Crossplane's XR circuit breaker opened %v times with burst %d: tenants stall while it is open; raise the recommendation in docs/operating.md",
			opens, controlplane.CircuitBreakerBurst)
	}
}
