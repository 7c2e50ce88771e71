package usages

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestUsageKinds checks the Usage type for each Crossplane version and XR scope.
func TestUsageKinds(t *testing.T) {
	cases := map[string]struct {
		input, apiVersion, kind string
		namespaced              bool
	}{
		"Crossplane2Claim":      {input: "{}", apiVersion: "protection.crossplane.io/v1beta1", kind: "ClusterUsage"},
		"Crossplane2Namespaced": {input: "{}", apiVersion: "protection.crossplane.io/v1beta1", kind: "Usage", namespaced: true},
		"Crossplane1Claim":      {input: "{usages: {apiVersion: apiextensions.crossplane.io/v1beta1}}", apiVersion: "apiextensions.crossplane.io/v1beta1", kind: "Usage"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tn := tenanttest.New(t, tc.input, "{}", "{}")
			if tc.namespaced {
				tn.Scope = tenant.ScopeNamespaced
			}
			apiVersion, kind, err := usageKind(tn)
			if err != nil || apiVersion != tc.apiVersion || kind != tc.kind {
				t.Errorf("usageKind() = %s %s %v, want %s %s", apiVersion, kind, err, tc.apiVersion, tc.kind)
			}
		})
	}
}

// TestUsageNames: a consumer of one resource has one Usage named after it; a consumer of several
// has one Usage for each, named after both, so that none replaces another.
func TestUsageNames(t *testing.T) {
	tn := tenanttest.New(t, "{}", "{}", "{}")
	obj := func(name string) compose.Desired {
		return compose.Desired{Name: resource.Name(name), Object: map[string]any{
			"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object", "metadata": map[string]any{"name": name},
		}}
	}
	desired := map[resource.Name]compose.Desired{}
	for _, n := range []string{"job", "role", "binding", "flow", "namespace"} {
		desired[resource.Name(n)] = obj(n)
	}
	deps := []compose.Dependency{{By: "job", Of: "role"}, {By: "job", Of: "binding"}, {By: "flow", Of: "namespace"}}
	got, err := Compose(tn, deps, desired, compose.Observed{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	of := map[resource.Name]any{}
	for _, u := range got {
		names = append(names, string(u.Name))
		of[u.Name] = u.Object["spec"].(map[string]any)["of"].(map[string]any)["resourceRef"]
	}
	if diff := cmp.Diff([]string{"usage-job-of-role", "usage-job-of-binding", "usage-flow"}, names); diff != "" {
		t.Errorf("Usage names: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(map[resource.Name]any{
		"usage-job-of-role":    map[string]any{"name": "role"},
		"usage-job-of-binding": map[string]any{"name": "binding"},
		"usage-flow":           map[string]any{"name": "namespace"},
	}, of); diff != "" {
		t.Errorf("what each Usage protects: -want, +got:\n%s", diff)
	}
}
