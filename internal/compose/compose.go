// Package compose holds what every layer composes with: the desired resource and the observed
// state, readers of observed objects and their conditions, the provider-kubernetes Object
// wrappers, conditions and deletion dependencies.
package compose

import (
	"encoding/json"
	"fmt"

	xpv1 "github.com/crossplane/crossplane-runtime/v2/apis/common/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Desired is one composed resource a layer wants, under a stable pipeline name, with its
// readiness: Crossplane counts a composed resource ready only when the function says so.
type Desired struct {
	Name   resource.Name
	Object map[string]any
	Ready  bool
}

// Observed is what Crossplane saw of the composed resources, by pipeline name.
type Observed map[resource.Name]resource.ObservedComposed

// Get returns the observed resource of that name, or nil.
func (o Observed) Get(name resource.Name) *composed.Unstructured {
	oc, ok := o[name]
	if !ok || oc.Resource == nil {
		return nil
	}
	return oc.Resource
}

// IsReady reports whether an observed managed resource has condition Ready=True. Conditions are
// read from the object as it is (ManifestCondition), not through GetCondition, which converts
// the whole status on every call: a fifth of a call's time, for one field.
func IsReady(u *composed.Unstructured) bool {
	if u == nil {
		return false
	}
	status, _, _ := ManifestCondition(u.Object, string(xpv1.TypeReady))
	return status == string(corev1.ConditionTrue)
}

// SyncProblem is the provider's error on the first of the named observed resources that is not
// synced (condition Synced=False), worded for a condition message; empty when they all sync.
// A step that waits for Rancher or Helm must not read "waiting" when the provider in fact
// cannot reach or apply the object (say, no kind "Cluster" on the target).
func SyncProblem(observed Observed, names ...resource.Name) string {
	for _, name := range names {
		u := observed.Get(name)
		if u == nil {
			continue
		}
		if status, message, _ := ManifestCondition(u.Object, string(xpv1.TypeSynced)); status == string(corev1.ConditionFalse) {
			return fmt.Sprintf(" The provider cannot sync %s %s: %s", u.GetKind(), u.GetName(), message)
		}
	}
	return ""
}

// Object wraps a Kubernetes manifest in a provider-kubernetes Object that applies it through the
// given ProviderConfig: the one way this function reaches anything that is not a Helm release.
func Object(t *tenant.Tenant, suffix, providerConfig string, manifest map[string]any, readiness map[string]any) map[string]any {
	return objectVia(t, suffix, t.Scope.ProviderConfigRef(providerConfig), manifest, readiness)
}

// CrossplaneObject wraps a manifest in an Object that applies it on the Crossplane cluster itself.
func CrossplaneObject(t *tenant.Tenant, suffix string, manifest map[string]any) map[string]any {
	return Object(t, suffix, t.Input.Targets.Crossplane.KubernetesProviderConfig, manifest, nil)
}

// TenantObject wraps a manifest in an Object that applies it inside the virtual cluster,
// through the tenant target.
func TenantObject(t *tenant.Tenant, suffix string, manifest map[string]any, readiness map[string]any) map[string]any {
	return objectVia(t, suffix, t.TenantProviderConfigRef(), manifest, readiness)
}

// objectVia wraps a manifest in an Object that applies it through providerConfigRef.
func objectVia(t *tenant.Tenant, suffix string, providerConfigRef, manifest map[string]any, readiness map[string]any) map[string]any {
	spec := map[string]any{
		"forProvider":       map[string]any{"manifest": manifest},
		"providerConfigRef": providerConfigRef,
	}
	if readiness != nil {
		spec["readiness"] = readiness
	}
	return map[string]any{
		"apiVersion": t.Scope.ObjectAPIVersion(),
		"kind":       "Object",
		"metadata":   ComposedMeta(t, suffix),
		"spec":       spec,
	}
}

// ComposedMeta is the metadata of a composed managed resource.
func ComposedMeta(t *tenant.Tenant, suffix string) map[string]any {
	m := map[string]any{
		"name":   t.ComposedName(suffix),
		"labels": t.Labels(),
	}
	if t.XRNamespace != "" {
		m["namespace"] = t.XRNamespace
	}
	return m
}

// ToUnstructured wraps a desired object for the SDK.
func ToUnstructured(obj map[string]any) *composed.Unstructured {
	return &composed.Unstructured{Unstructured: unstructured.Unstructured{Object: obj}}
}

// ObservedManifest is the object a provider-kubernetes Object last observed on its target
// (status.atProvider.manifest), or nil. Rancher's answers are read from here.
func ObservedManifest(u *composed.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	m, _, _ := unstructured.NestedMap(u.Object, "status", "atProvider", "manifest")
	return m
}

// ManifestString is a string field of an observed manifest, or "".
func ManifestString(m map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(m, fields...)
	return s
}

// ManifestCondition finds a condition of an observed manifest by type; ok is false when the
// manifest has none of that type.
func ManifestCondition(m map[string]any, typ string) (status, message string, ok bool) {
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

// SetSpec sets a field of a composed resource's spec.
func SetSpec(obj map[string]any, key string, value any) {
	spec, _ := obj["spec"].(map[string]any)
	spec[key] = value
}

// SetAnnotation sets an annotation of a composed resource.
func SetAnnotation(obj map[string]any, key, value string) {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		meta["annotations"] = ann
	}
	ann[key] = value
}

// CelReadiness is an Object readiness policy from a CEL expression over the observed object.
func CelReadiness(query string) map[string]any {
	return map[string]any{"policy": "DeriveFromCelQuery", "celQuery": query}
}

// ToMap turns a typed value into the map form a manifest holds.
func ToMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}

// IsDNSLabel reports whether s is a DNS-1123 label, as names Rancher reports must be before the
// function builds on them.
func IsDNSLabel(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }
