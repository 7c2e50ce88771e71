package tenant

// Scope is the flavour of the composite resource. It picks the API versions of the composed
// provider resources and the shape of their ProviderConfig references; nothing else changes
// (DESIGN.md, "The one rule of composition").
type Scope int

const (
	// ScopeLegacy is a cluster-scoped XR (XRD apiextensions.crossplane.io/v1) created through a
	// claim: it composes cluster-scoped managed resources.
	ScopeLegacy Scope = iota
	// ScopeNamespaced is a Crossplane v2 namespaced XR: it composes namespaced managed resources
	// in its own namespace, referring to ClusterProviderConfigs.
	ScopeNamespaced
)

// ObjectAPIVersion is provider-kubernetes' Object of the scope.
func (s Scope) ObjectAPIVersion() string {
	if s == ScopeNamespaced {
		return "kubernetes.m.crossplane.io/v1alpha1"
	}
	return "kubernetes.crossplane.io/v1alpha2"
}

// ReleaseAPIVersion is provider-helm's Release of the scope.
func (s Scope) ReleaseAPIVersion() string {
	if s == ScopeNamespaced {
		return "helm.m.crossplane.io/v1beta1"
	}
	return "helm.crossplane.io/v1beta1"
}

// ProviderConfigRef refers to a ProviderConfig by name: a cluster-scoped ProviderConfig for
// legacy XRs, a ClusterProviderConfig for namespaced ones (a namespaced managed resource would
// otherwise look for a ProviderConfig in the tenant's own namespace).
func (s Scope) ProviderConfigRef(name string) map[string]any {
	if s == ScopeNamespaced {
		return map[string]any{"kind": "ClusterProviderConfig", "name": name}
	}
	return map[string]any{"name": name}
}

// KubernetesProviderConfigAPIVersion and HelmProviderConfigAPIVersion are the ProviderConfigs a
// tenant target is made of: cluster-scoped for legacy XRs, in the XR's namespace for namespaced
// ones.
func (s Scope) KubernetesProviderConfigAPIVersion() string {
	if s == ScopeNamespaced {
		return "kubernetes.m.crossplane.io/v1alpha1"
	}
	return "kubernetes.crossplane.io/v1alpha1"
}

// HelmProviderConfigAPIVersion is provider-helm's ProviderConfig of the scope.
func (s Scope) HelmProviderConfigAPIVersion() string {
	if s == ScopeNamespaced {
		return "helm.m.crossplane.io/v1beta1"
	}
	return "helm.crossplane.io/v1beta1"
}
