package compose

import (
	helmv1beta1 "github.com/crossplane-contrib/provider-helm/apis/cluster/release/v1beta1"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"k8s.io/apimachinery/pkg/runtime"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Release is what a layer reads from an observed provider-helm Release.
type Release struct {
	Seen bool
	// Ready: provider-helm says Ready and Helm's state is deployed.
	Ready   bool
	State   string
	Message string
	// Revision is Helm's revision of the release.
	Revision int64
	// Rollbacks is how many times provider-helm has rolled the release back to retry it.
	Rollbacks int32
}

// ObserveRelease reads an observed Release. Only the status is read (and typed): converting the
// whole Release, values and all, cost more than everything else a layer does.
func ObserveRelease(u *composed.Unstructured) Release {
	if u == nil {
		return Release{}
	}
	var status helmv1beta1.ReleaseStatus
	if raw, ok := u.Object["status"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &status); err != nil {
			// An observed Release we cannot read is reported as not ready, never dropped.
			return Release{Seen: true, Message: "cannot read the observed Release: " + err.Error()}
		}
	}
	r := Release{
		Seen:     true,
		State:    string(status.AtProvider.State),
		Message:  status.AtProvider.ReleaseDescription,
		Revision: int64(status.AtProvider.Revision),
		// provider-helm counts its rollbacks in status.failed and resets it once deployed.
		Rollbacks: status.Failed,
	}
	r.Ready = IsReady(u) && r.State == "deployed"
	return r
}

// HelmRelease is a provider-helm Release of chart into the tenant's host namespace, as Helm
// release name: the layer adds what is its own (connection details, skipCRDs) to the result.
func HelmRelease(t *tenant.Tenant, suffix, name string, chart inputv1beta1.Chart, values map[string]any) map[string]any {
	release := map[string]any{
		"apiVersion": t.Scope.ReleaseAPIVersion(),
		"kind":       "Release",
		"metadata":   ComposedMeta(t, suffix),
		"spec": map[string]any{
			"providerConfigRef": t.Scope.ProviderConfigRef(t.Input.Targets.Host.HelmProviderConfig),
			"forProvider": map[string]any{
				"chart": map[string]any{
					"repository": chart.Repository,
					"name":       chart.Name,
					"version":    chart.Version,
				},
				"namespace": t.HostNamespace,
				// The Namespace layer owns the namespace, with its labels; Helm must not create
				// a bare one first.
				"skipCreateNamespace": true,
				"maxHistory":          int64(t.Input.VCluster.MaxHistory),
				"values":              values,
			},
			// provider-helm (v1.3.0) retries a failed or pending release only with a rollback
			// limit: it rolls back (a first install: uninstalls) and deploys again.
			"rollbackLimit": int64(t.Input.VCluster.RollbackLimit),
		},
	}
	// Helm's own release name is the Release's external name.
	SetAnnotation(release, "crossplane.io/external-name", name)
	return release
}
