package tenant

import (
	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Where the virtual cluster's kubeconfig ends up, which several layers read: the vcluster
// Release writes it, the tenant target's ProviderConfigs and Rancher's registrar read it.

// Connection secret keys of the vcluster Release, and of the XR.
const (
	// KeyKubeconfig is the tenant's kubeconfig: the external URL when exposed, else in-cluster.
	KeyKubeconfig = "kubeconfig"
	// KeyKubeconfigInternal is the in-cluster kubeconfig, present only when the tenant's is
	// external.
	KeyKubeconfigInternal = "kubeconfig-internal"
)

// ConnectionSecretRef is where the Release writes its connection secret: the platform's
// namespace for a legacy XR (tenants get their copy through the claim), the tenant's own
// namespace for a namespaced XR.
func (t *Tenant) ConnectionSecretRef() v1alpha1.SecretReference {
	if t.Scope == ScopeNamespaced {
		return v1alpha1.SecretReference{Name: t.kubeconfigSecretName(), Namespace: t.XRNamespace}
	}
	return v1alpha1.SecretReference{Name: t.ComposedName("kubeconfig"), Namespace: t.Input.Kubeconfig.SecretNamespace}
}

// kubeconfigSecretName is the name of a namespaced tenant's kubeconfig Secret in its own
// namespace: readable when the XR's name allows, else the unique composed name.
func (t *Tenant) kubeconfigSecretName() string {
	if name := t.Name + "-kubeconfig"; len(name) <= MaxLabelLength && CleanLabel(name) == name {
		return name
	}
	return t.ComposedName("kubeconfig")
}

// ProviderConfigKey is the connection secret key the tenant ProviderConfigs read: the
// in-cluster kubeconfig unless the platform's Crossplane reaches virtual clusters from outside.
func (t *Tenant) ProviderConfigKey() string {
	if t.Exposure.Exposed() && t.Input.Targets.Tenant.Endpoint != inputv1beta1.TenantEndpointExternal {
		return KeyKubeconfigInternal
	}
	return KeyKubeconfig
}

// TenantProviderConfigName is the name of both tenant ProviderConfigs.
func (t *Tenant) TenantProviderConfigName() string { return t.ComposedName("tenant") }

// TenantProviderConfigRef refers an Object or Release to the tenant target: a cluster-scoped
// ProviderConfig for a legacy XR, the ProviderConfig in the XR's own namespace for a namespaced
// one.
func (t *Tenant) TenantProviderConfigRef() map[string]any {
	if t.Scope == ScopeNamespaced {
		return map[string]any{"kind": "ProviderConfig", "name": t.TenantProviderConfigName()}
	}
	return map[string]any{"name": t.TenantProviderConfigName()}
}
