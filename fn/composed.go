package fn

import (
	"fmt"

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

// isReady reports whether an observed managed resource has condition Ready=True. Conditions are
// read from the object as it is (manifestCondition), not through GetCondition, which converts
// the whole status on every call: a fifth of a call's time, for one field.
func isReady(u *composed.Unstructured) bool {
	if u == nil {
		return false
	}
	status, _, _ := manifestCondition(u.Object, string(xpv1.TypeReady))
	return status == string(corev1.ConditionTrue)
}

// syncProblem is the provider's error on the first of the named observed resources that is not
// synced (condition Synced=False), worded for a condition message; empty when they all sync.
// A step that waits for Rancher or Helm must not read "waiting" when the provider in fact
// cannot reach or apply the object (say, no kind "Cluster" on the target).
func syncProblem(observed observedState, names ...resource.Name) string {
	for _, name := range names {
		u := observed.get(name)
		if u == nil {
			continue
		}
		if status, message, _ := manifestCondition(u.Object, string(xpv1.TypeSynced)); status == string(corev1.ConditionFalse) {
			return fmt.Sprintf(" The provider cannot sync %s %s: %s", u.GetKind(), u.GetName(), message)
		}
	}
	return ""
}

// object wraps a Kubernetes manifest in a provider-kubernetes Object that applies it through the
// given ProviderConfig: the one way this function reaches anything that is not a Helm release.
func (t *tenant) object(suffix, providerConfig string, manifest map[string]any, readiness map[string]any) map[string]any {
	return t.objectVia(suffix, t.scope.providerConfigRef(providerConfig), manifest, readiness)
}

// crossplaneObject wraps a manifest in an Object that applies it on the Crossplane cluster itself.
func (t *tenant) crossplaneObject(suffix string, manifest map[string]any) map[string]any {
	return t.object(suffix, t.input.Targets.Crossplane.KubernetesProviderConfig, manifest, nil)
}

// tenantObject wraps a manifest in an Object that applies it inside the virtual cluster,
// through the tenant target.
func (t *tenant) tenantObject(suffix string, manifest map[string]any, readiness map[string]any) map[string]any {
	return t.objectVia(suffix, t.tenantProviderConfigRef(), manifest, readiness)
}

// objectVia wraps a manifest in an Object that applies it through providerConfigRef.
func (t *tenant) objectVia(suffix string, providerConfigRef, manifest map[string]any, readiness map[string]any) map[string]any {
	spec := map[string]any{
		"forProvider":       map[string]any{"manifest": manifest},
		"providerConfigRef": providerConfigRef,
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

// observedManifest is the object a provider-kubernetes Object last observed on its target
// (status.atProvider.manifest), or nil. Rancher's answers are read from here.
func observedManifest(u *composed.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	m, _, _ := unstructured.NestedMap(u.Object, "status", "atProvider", "manifest")
	return m
}

// manifestString is a string field of an observed manifest, or "".
func manifestString(m map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(m, fields...)
	return s
}

// manifestCondition finds a condition of an observed manifest by type; ok is false when the
// manifest has none of that type.
func manifestCondition(m map[string]any, typ string) (status, message string, ok bool) {
	raw, _, _ := unstructured.NestedFieldNoCopy(m, "status", "conditions")
	conds, _ := raw.([]any)
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if t, _ := cm["type"].(string); t == typ {
			status, _ = cm["status"].(string)
			message, _ = cm["message"].(string)
			return status, message, true
		}
	}
	return "", "", false
}

// setSpec sets a field of a composed resource's spec.
func setSpec(obj map[string]any, key string, value any) {
	spec, _ := obj["spec"].(map[string]any)
	spec[key] = value
}
