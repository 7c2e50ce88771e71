package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var (
	gvkClaim     = schema.GroupVersionKind{Group: "platform.tenantcluster.io", Version: "v1alpha1", Kind: "TenantCluster"}
	gvkNamespace = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
)

// layerConditions are the claim's conditions that say each layer is ready, with Crossplane's
// Ready last: the e2e run reports when each turned true.
var layerConditions = []string{"Synced", "VClusterReady", "RancherRegistered", "Ready"}

// claimFile reads an example claim, optionally renamed into another namespace so scenarios and
// parallel tenants never share one.
func claimFile(t *testing.T, path, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	if name != "" {
		u.SetName(name)
	}
	return u
}

// applyClaim creates the claim's namespace and applies the claim.
func applyClaim(t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	ns := &unstructured.Unstructured{}
	ns.SetGroupVersionKind(gvkNamespace)
	ns.SetName(claim.GetNamespace())
	if err := cp.Host.ApplyObject(runCtx, ns); err != nil {
		t.Fatal(err)
	}
	if err := cp.Host.ApplyObject(runCtx, claim); err != nil {
		t.Fatal(err)
	}
}

// setSpec sets one field of a claim's spec.
func setSpec(claim *unstructured.Unstructured, field string, value any) {
	claim.Object["spec"].(map[string]any)[field] = value
}

func getClaim(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	c, found, err := cp.Host.Get(runCtx, gvkClaim, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return nil
	}
	return c
}

// eventually polls check until it is true; on timeout the test fails with check's last reason
// and the claim's tree, so a failure says where the tenant stood.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(runCtx, timeout)
	defer cancel()
	last := ""
	for {
		if err := cp.Crashed(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		ok, why := check()
		if ok {
			return
		}
		last = why
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// layerTimes waits until every layer condition of the claim is true and returns when each first
// was, measured from start.
func layerTimes(t *testing.T, ns, name string, start time.Time, timeout time.Duration) map[string]time.Duration {
	t.Helper()
	seen := map[string]time.Duration{}
	eventually(t, timeout, fmt.Sprintf("every layer of %s/%s ready", ns, name), func() (bool, string) {
		claim := getClaim(t, ns, name)
		if claim == nil {
			return false, "claim not found"
		}
		var waiting []string
		for _, c := range layerConditions {
			cond := controlplane.Condition(claim, c)
			if cond.Status == "True" {
				if _, ok := seen[c]; !ok {
					seen[c] = time.Since(start)
				}
				continue
			}
			waiting = append(waiting, fmt.Sprintf("%s=%s (%s: %s)", c, cond.Status, cond.Reason, cond.Message))
		}
		if len(waiting) > 0 {
			return false, strings.Join(waiting, "; ") + "\n" + tree(ns, name)
		}
		return true, ""
	})
	return seen
}

func tree(ns, name string) string {
	s, err := cp.Host.Tree(runCtx, gvkClaim, ns, name)
	if err != nil {
		return err.Error()
	}
	return s
}
