package fn

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Pipeline names of the tenant target's ProviderConfigs.
const (
	resourceTenantKubernetes resource.Name = "tenant-k8s"
	resourceTenantHelm       resource.Name = "tenant-helm"
)

// tenantTargetOutput is the tenant target: the ProviderConfigs through which later layers
// compose Objects and Releases inside the virtual cluster.
type tenantTargetOutput struct {
	kubernetes, helm desiredResource
	status           v1alpha1.TenantTargetStatus
}

// tenantTargetLayer composes a provider-kubernetes and a provider-helm ProviderConfig that read
// the virtual cluster's kubeconfig from the vcluster Release's connection secret.
//
// ProviderConfigs are composed directly, not wrapped in an Object: they are configuration of
// providers on the Crossplane cluster itself, like the Usages, not something on a target
// cluster. They have no Ready condition, so the function decides: they are ready once the
// kubeconfig they read has been exported (kubeconfigExported, from the observed Release).
func tenantTargetLayer(t *tenant, kubeconfigExported bool) tenantTargetOutput {
	ref := t.connectionSecretRef()
	credentials := map[string]any{
		"source": "Secret",
		"secretRef": map[string]any{
			"namespace": ref.Namespace,
			"name":      ref.Name,
			"key":       t.providerConfigKey(),
		},
	}
	pc := func(apiVersion string) map[string]any {
		return map[string]any{
			"apiVersion": apiVersion,
			"kind":       "ProviderConfig",
			"metadata":   t.composedMeta("tenant"),
			"spec":       map[string]any{"credentials": credentials},
		}
	}
	return tenantTargetOutput{
		kubernetes: desiredResource{name: resourceTenantKubernetes, object: pc(t.scope.kubernetesProviderConfigAPIVersion()), ready: kubeconfigExported},
		helm:       desiredResource{name: resourceTenantHelm, object: pc(t.scope.helmProviderConfigAPIVersion()), ready: kubeconfigExported},
		status:     v1alpha1.TenantTargetStatus{ProviderConfig: t.tenantProviderConfigName(), Ready: kubeconfigExported},
	}
}

// tenantProviderConfigName is the name of both tenant ProviderConfigs.
func (t *tenant) tenantProviderConfigName() string { return t.composedName("tenant") }

// tenantProviderConfigRef refers an Object or Release to the tenant target: a cluster-scoped
// ProviderConfig for a legacy XR, the ProviderConfig in the XR's own namespace for a namespaced
// one.
func (t *tenant) tenantProviderConfigRef() map[string]any {
	if t.scope == scopeNamespaced {
		return map[string]any{"kind": "ProviderConfig", "name": t.tenantProviderConfigName()}
	}
	return map[string]any{"name": t.tenantProviderConfigName()}
}
