package fn

// scope is the flavour of the composite resource. It picks the API versions of the composed
// provider resources and the shape of their ProviderConfig references; nothing else changes
// (DESIGN.md, "The one rule of composition").
type scope int

const (
	// scopeLegacy is a cluster-scoped XR (XRD apiextensions.crossplane.io/v1) created through a
	// claim: it composes cluster-scoped managed resources.
	scopeLegacy scope = iota
	// scopeNamespaced is a Crossplane v2 namespaced XR: it composes namespaced managed resources
	// in its own namespace, referring to ClusterProviderConfigs.
	scopeNamespaced
)

func (s scope) objectAPIVersion() string {
	if s == scopeNamespaced {
		return "kubernetes.m.crossplane.io/v1alpha1"
	}
	return "kubernetes.crossplane.io/v1alpha2"
}

func (s scope) releaseAPIVersion() string {
	if s == scopeNamespaced {
		return "helm.m.crossplane.io/v1beta1"
	}
	return "helm.crossplane.io/v1beta1"
}

// providerConfigRef refers to a ProviderConfig by name: a cluster-scoped ProviderConfig for
// legacy XRs, a ClusterProviderConfig for namespaced ones (a namespaced managed resource would
// otherwise look for a ProviderConfig in the tenant's own namespace).
func (s scope) providerConfigRef(name string) map[string]any {
	if s == scopeNamespaced {
		return map[string]any{"kind": "ClusterProviderConfig", "name": name}
	}
	return map[string]any{"name": name}
}

// kubernetesProviderConfigAPIVersion and helmProviderConfigAPIVersion are the ProviderConfigs a
// tenant target is made of: cluster-scoped for legacy XRs, in the XR's namespace for namespaced
// ones.
func (s scope) kubernetesProviderConfigAPIVersion() string {
	if s == scopeNamespaced {
		return "kubernetes.m.crossplane.io/v1alpha1"
	}
	return "kubernetes.crossplane.io/v1alpha1"
}

func (s scope) helmProviderConfigAPIVersion() string {
	if s == scopeNamespaced {
		return "helm.m.crossplane.io/v1beta1"
	}
	return "helm.crossplane.io/v1beta1"
}
