// Package tenanttarget is the tenant target layer: the provider-kubernetes and provider-helm
// ProviderConfigs through which later layers compose Objects and Releases inside the virtual
// cluster.
package tenanttarget

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pipeline names of the tenant target's ProviderConfigs.
const (
	ResourceKubernetes resource.Name = "tenant-k8s"
	ResourceHelm       resource.Name = "tenant-helm"
)

// Layer composes a provider-kubernetes and a provider-helm ProviderConfig that read the virtual
// cluster's kubeconfig from the vcluster Release's connection secret.
//
// ProviderConfigs are composed directly, not wrapped in an Object: they are configuration of
// providers on the Crossplane cluster itself, like the Usages, not something on a target
// cluster. They have no Ready condition, so the function decides: they are ready once the
// kubeconfig they read has been exported (t.KubeconfigExported).
func Layer(t *tenant.Tenant, _ compose.Observed) (layer.Output, error) {
	ref := t.ConnectionSecretRef()
	credentials := map[string]any{
		"source": "Secret",
		"secretRef": map[string]any{
			"namespace": ref.Namespace,
			"name":      ref.Name,
			"key":       t.ProviderConfigKey(),
		},
	}
	pc := func(apiVersion string) map[string]any {
		return map[string]any{
			"apiVersion": apiVersion,
			"kind":       "ProviderConfig",
			"metadata":   compose.ComposedMeta(t, "tenant"),
			"spec":       map[string]any{"credentials": credentials},
		}
	}
	ready := t.KubeconfigExported
	status := v1alpha1.TenantTargetStatus{ProviderConfig: t.TenantProviderConfigName(), Ready: ready}
	return layer.Output{
		Resources: []compose.Desired{
			{Name: ResourceKubernetes, Object: pc(t.Scope.KubernetesProviderConfigAPIVersion()), Ready: ready},
			{Name: ResourceHelm, Object: pc(t.Scope.HelmProviderConfigAPIVersion()), Ready: ready},
		},
		Status: func(s *v1alpha1.TenantClusterStatus) { s.TenantTarget = &status },
		// Whatever runs inside the virtual cluster, and the tenant target it runs through, go
		// before the Release.
		Dependencies: []compose.Dependency{
			{By: ResourceKubernetes, Of: compose.ResourceVCluster},
			{By: ResourceHelm, Of: compose.ResourceVCluster},
		},
	}, nil
}
