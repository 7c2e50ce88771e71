package chart

import (
	"testing"
	_ "unsafe" // go:linkname: provider-helm's retry decision is unexported

	helmv1beta1 "github.com/crossplane-contrib/provider-helm/apis/cluster/release/v1beta1"
	_ "github.com/crossplane-contrib/provider-helm/pkg/controller/cluster/release" // linked for its retry decision
	helmrelease "helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/runtime"
)

// provider-helm v1.3.0's own decision whether to roll a release back and try again
// (pkg/controller/cluster/release/release.go), called rather than restated.
//
//go:linkname shouldRollBack github.com/crossplane-contrib/provider-helm/pkg/controller/cluster/release.shouldRollBack
func shouldRollBack(cr *helmv1beta1.Release) bool

//go:linkname rollBackLimitReached github.com/crossplane-contrib/provider-helm/pkg/controller/cluster/release.rollBackLimitReached
func rollBackLimitReached(cr *helmv1beta1.Release) bool

// TestProviderHelmRetries asks provider-helm's own code what it does with the function's
// Release when Helm's last operation failed or was interrupted: without a rollback limit a
// failed release with unchanged values counts as up to date and a pending one blocks every
// later upgrade, so the tenant would wait forever.
func TestProviderHelmRetries(t *testing.T) {
	r := compose(t, tenant{name: "minimal", claim: "minimal.yaml"})
	cases := map[string]struct {
		reason    string
		state     string
		synced    bool
		rollbacks int32
		want      bool
	}{
		"Failed": {
			reason: "A failed release whose values did not change is rolled back and deployed again.",
			state:  "failed", synced: true, want: true,
		},
		"PendingInstall": {
			reason: "An install interrupted by a provider restart is uninstalled and installed again.",
			state:  "pending-install", want: true,
		},
		"PendingUpgrade": {
			reason: "An interrupted upgrade is rolled back and tried again.",
			state:  "pending-upgrade", synced: true, rollbacks: 2, want: true,
		},
		"LimitReached": {
			reason: "After the input's limit of rollbacks, provider-helm waits for a change.",
			state:  "failed", synced: true, rollbacks: 3, want: false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &helmv1beta1.Release{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(r.desired["vcluster"].GetResource().AsMap(), cr, true); err != nil {
				t.Fatalf("provider-helm cannot read the function's Release: %v", err)
			}
			cr.Status.AtProvider.State = helmrelease.Status(tc.state)
			cr.Status.AtProvider.Revision = 2
			cr.Status.Synced = tc.synced
			cr.Status.Failed = tc.rollbacks
			if got := shouldRollBack(cr) && !rollBackLimitReached(cr); got != tc.want {
				t.Errorf("%s\nprovider-helm retries: %v, want %v (rollbackLimit %v)", tc.reason, got, tc.want, cr.Spec.RollbackRetriesLimit)
			}
		})
	}
}
