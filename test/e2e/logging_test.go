package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var (
	gvkLogging = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Logging"}
	gvkFlow    = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Flow"}
	gvkOutput  = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Output"}
)

// TestLoggingLifecycle creates the tenant of examples/claims/logging.yaml and waits until its
// logging is ready: provider-kubernetes applied the tenant's Logging, Flow and Outputs to the host
// API server, which admitted them against the logging-operator's real CRDs, and the logging
// player took them as the operator does. It checks what the host holds, turns logging off (the
// logging objects go from the host, nothing else of the tenant changes, the claim says Off),
// then deletes the tenant.
func TestLoggingLifecycle(t *testing.T) {
	const ns, name = "team-shop", "shop"
	claim := claimFile(t, "examples/claims/logging.yaml", ns, name)
	start := time.Now()
	applyClaim(t, claim)
	eventually(t, 2*time.Minute, "the tenant's logging ready", func() (bool, string) {
		c := getClaim(t, ns, name)
		if c == nil {
			return false, "no claim"
		}
		l, v := controlplane.Condition(c, "LoggingReady"), controlplane.Condition(c, "VClusterReady")
		return l.Status == "True" && v.Status == "True", fmt.Sprintf("LoggingReady %+v, VClusterReady %+v\n%s", l, v, tree(ns, name))
	})
	t.Logf("claim apply → LoggingReady=True: %s", time.Since(start).Round(10*time.Millisecond))
	before := settled(t, ns, name)
	id := idOf(t, before)
	hostNS := "tenant-" + id
	assertLoggingOnHost(t, id, hostNS)

	// Turning it on again is covered by fn/logging_test.go only: done here, Crossplane's XR circuit
	// breaker opened while it composed the same objects again, even after the old ones had gone
	// (docs/logging.md), which would stall every tenant's reconciles after it.
	t.Run("off", func(t *testing.T) {
		delete(claim.Object["spec"].(map[string]any), "logging")
		applyClaim(t, claim)
		after := settledAfter(t, ns, name, before)
		got := diff(before, after)
		var want []string
		for k := range before {
			if strings.Contains(k, "-log") || strings.Contains(k, "usage-logging") {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		slices.Sort(got.removed)
		if len(want) != 8 || !slices.Equal(want, got.removed) || len(got.added) != 0 || len(got.changed) != 0 {
			t.Errorf("turning logging off: want exactly the 4 logging Objects and their 4 Usages removed (%v); got %s", want, got)
		}
		removed := map[string]snapshot{}
		for _, k := range got.removed {
			removed[k] = before[k]
		}
		waitGone(t, "the tenant's logging objects, composed and on the host", append(hostTargets(removed), values(removed)...), time.Minute)
		// Crossplane keeps the condition; the function says logging is off.
		eventually(t, time.Minute, "the claim says logging is off", func() (bool, string) {
			c := controlplane.Condition(getClaim(t, ns, name), "LoggingReady")
			return c.Reason == "Off", fmt.Sprintf("%+v", c)
		})
		before = after
	})

	t.Run("delete", func(t *testing.T) {
		deleteAndWaitGone(t, ns, name, before, 3*time.Minute)
	})
	assertBreakerClosed(t)
}

// assertLoggingOnHost checks the tenant's logging objects as the host API server holds them:
// the tenant's own Logging watching only its namespace, the Flow selecting its synced pods of
// virtual namespace shop to its two outputs, and each Output taken.
func assertLoggingOnHost(t *testing.T, id, hostNS string) {
	t.Helper()
	l := mustGet(t, gvkLogging, "", id)
	if w, _, _ := unstructured.NestedStringSlice(l.Object, "spec", "watchNamespaces"); !slices.Equal(w, []string{hostNS}) {
		t.Errorf("Logging %s watches %v, want only %s", id, w, hostNS)
	}
	f := mustGet(t, gvkFlow, hostNS, "tenant-logs")
	refs, _, _ := unstructured.NestedStringSlice(f.Object, "spec", "localOutputRefs")
	if !slices.Equal(refs, []string{"tenant-loki", "tenant-collector"}) {
		t.Errorf("Flow outputs %v", refs)
	}
	match, _, _ := unstructured.NestedSlice(f.Object, "spec", "match")
	if want := "[map[select:map[labels:map[vcluster.loft.sh/managed-by:shop vcluster.loft.sh/namespace:shop]]]]"; fmt.Sprint(match) != want {
		t.Errorf("Flow selects %v, want %s", match, want)
	}
	for _, o := range refs {
		out := mustGet(t, gvkOutput, hostNS, o)
		if active, _, _ := unstructured.NestedBool(out.Object, "status", "active"); !active {
			t.Errorf("Output %s not taken: %v", o, out.Object["status"])
		}
	}
}

func mustGet(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	o, found, err := cp.Host.Get(runCtx, gvk, ns, name)
	if err != nil || !found {
		t.Fatalf("%s %s/%s on the host: found %v, %v", gvk.Kind, ns, name, found, err)
	}
	return o
}
