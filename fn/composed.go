package fn

import (
	xpv1 "github.com/crossplane/crossplane-runtime/v2/apis/common/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// desiredResource is one composed resource a layer wants, under a stable pipeline name.
type desiredResource struct {
	name   resource.Name
	object map[string]any
	ready  bool
}

// observedState is what Crossplane saw of the composed resources, by pipeline name.
type observedState map[resource.Name]resource.ObservedComposed

// get returns the observed resource of that name, or nil.
func (o observedState) get(name resource.Name) *composed.Unstructured {
	oc, ok := o[name]
	if !ok || oc.Resource == nil {
		return nil
	}
	return oc.Resource
}

// isReady reports whether an observed managed resource has condition Ready=True.
func isReady(u *composed.Unstructured) bool {
	return u != nil && u.GetCondition(xpv1.TypeReady).Status == corev1.ConditionTrue
}

// object wraps a Kubernetes manifest in a provider-kubernetes Object that applies it through the
// given ProviderConfig: the one way this function reaches anything that is not a Helm release.
func (t *tenant) object(suffix, providerConfig string, manifest map[string]any, readiness map[string]any) map[string]any {
	spec := map[string]any{
		"forProvider":       map[string]any{"manifest": manifest},
		"providerConfigRef": t.scope.providerConfigRef(providerConfig),
	}
	if readiness != nil {
		spec["readiness"] = readiness
	}
	return map[string]any{
		"apiVersion": t.scope.objectAPIVersion(),
		"kind":       "Object",
		"metadata":   t.composedMeta(suffix),
		"spec":       spec,
	}
}

// composedMeta is the metadata of a composed managed resource.
func (t *tenant) composedMeta(suffix string) map[string]any {
	m := map[string]any{
		"name":   t.composedName(suffix),
		"labels": t.labels(),
	}
	if t.xrNamespace != "" {
		m["namespace"] = t.xrNamespace
	}
	return m
}

// toUnstructured wraps a desired object for the SDK.
func toUnstructured(obj map[string]any) *composed.Unstructured {
	return &composed.Unstructured{Unstructured: unstructured.Unstructured{Object: obj}}
}
