package usages

import (
	"testing"

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
