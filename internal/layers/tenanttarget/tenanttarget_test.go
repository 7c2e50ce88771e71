package tenanttarget

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestTenantTargetReadyOnceExported checks that the tenant ProviderConfigs are ready exactly when
// the kubeconfig they read is exported, now or as the XR status kept it, and that the layer
// orders both before the Release.
func TestTenantTargetReadyOnceExported(t *testing.T) {
	cases := map[string]struct {
		reason string
		status string
		now    bool
		want   bool
	}{
		"NotYet":     {reason: "Nothing exported yet: not ready.", status: "{}", want: false},
		"Now":        {reason: "The Release reports the kubeconfig exported.", status: "{}", now: true, want: true},
		"KeptBefore": {reason: "Exported before (XR status): a Release upgrading now does not take it back.", status: "{tenantTarget: {providerConfig: x, ready: true}}", want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tn := tenanttest.New(t, "{}", "{}", tc.status)
			tn.SetKubeconfigExported(tc.now)
			out, err := Layer(tn, compose.Observed{})
			if err != nil {
				t.Fatal(err)
			}
			var ready []bool
			for _, r := range out.Resources {
				ready = append(ready, r.Ready)
			}
			if diff := cmp.Diff([]bool{tc.want, tc.want}, ready); diff != "" {
				t.Errorf("%s\nreadiness: -want, +got:\n%s", tc.reason, diff)
			}
			var s v1alpha1.TenantClusterStatus
			out.Status(&s)
			want := &v1alpha1.TenantTargetStatus{ProviderConfig: "team-a-dev-c553f163-tenant", Ready: tc.want}
			if diff := cmp.Diff(want, s.TenantTarget); diff != "" {
				t.Errorf("%s\nstatus: -want, +got:\n%s", tc.reason, diff)
			}
			deps := []compose.Dependency{{By: ResourceKubernetes, Of: compose.ResourceVCluster}, {By: ResourceHelm, Of: compose.ResourceVCluster}}
			if diff := cmp.Diff(deps, out.Dependencies); diff != "" {
				t.Errorf("dependencies: -want, +got:\n%s", diff)
			}
		})
	}
}
