package monitoring

import (
	"fmt"

	"github.com/crossplane/function-sdk-go/resource/composed"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// releaseName is the Helm release of the tenant's monitoring: beside the vcluster's release
// (named after the claim) in the host namespace, never equal to it.
func releaseName(t *tenant.Tenant) string { return t.ReleaseName + "-monitoring" }

// stackRelease is the provider-helm Release of the slim kube-prometheus-stack.
func stackRelease(t *tenant.Tenant, observed compose.Observed) (map[string]any, error) {
	scrape, err := scrapeConfigs(t)
	if err != nil {
		return nil, err
	}
	size, class := keptStorage(t, observed.Get(ResourceRelease))
	values, err := compose.ToMap(stackValuesFor(t, size, class, scrape))
	if err != nil {
		return nil, fmt.Errorf("cannot render the monitoring values: %w", err)
	}
	release := compose.HelmRelease(t, "monitoring", releaseName(t), t.Input.Monitoring.Chart, values)
	// The chart's CRDs are the cluster's operator's business.
	fp, _ := release["spec"].(map[string]any)["forProvider"].(map[string]any)
	fp["skipCRDs"] = true
	return release, nil
}

// keptStorage is the Prometheus volume to ask for: the claim's, unless the observed Release
// already asks for a larger one (a volume never shrinks; asking for less would only make the
// operator fail to apply it) or another storage class (the volume stays where its data is).
func keptStorage(t *tenant.Tenant, u *composed.Unstructured) (resource.Quantity, string) {
	want, class := t.Monitoring.Storage.DeepCopy(), t.Input.Monitoring.Storage.StorageClass
	if u == nil {
		return want, class
	}
	raw, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "forProvider", "values", "prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec")
	spec, _ := raw.(map[string]any)
	if spec == nil {
		return want, class
	}
	if c, ok := spec["storageClassName"].(string); ok {
		class = c
	}
	if res, ok := spec["resources"].(map[string]any); ok {
		if req, ok := res["requests"].(map[string]any); ok {
			if s, ok := req["storage"].(string); ok {
				if had, err := resource.ParseQuantity(s); err == nil && had.Cmp(want) > 0 {
					return had, class
				}
			}
		}
	}
	return want, class
}
