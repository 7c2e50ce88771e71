package fn

import (
	"fmt"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
)

// dependency says that by uses of: Crossplane must not delete of while by exists. When a tenant
// is deleted, Crossplane deletes every composed resource at once; the Usages make the deletion
// happen in order (what runs inside the virtual cluster, then the virtual cluster, then its
// namespace), so nothing is left stuck waiting for a cluster that is already gone.
type dependency struct {
	by, of desiredResource
}

// usagesLayer composes one Usage per dependency, named after its consumer.
func usagesLayer(t *tenant, deps []dependency, observed observedState) ([]desiredResource, error) {
	apiVersion, kind, err := t.usageKind()
	if err != nil {
		return nil, err
	}
	out := make([]desiredResource, 0, len(deps))
	for _, d := range deps {
		name := "usage-" + d.by.name
		usage := map[string]any{
			"apiVersion": apiVersion,
			"kind":       kind,
			"metadata":   t.composedMeta(string(name)),
			"spec": map[string]any{
				"of": usageRef(d.of.object),
				"by": usageRef(d.by.object),
				// Retry the blocked deletion as soon as the Usage is gone, rather than on the
				// garbage collector's backoff.
				"replayDeletion": true,
			},
		}
		out = append(out, desiredResource{name: name, object: usage, ready: isReady(observed.get(name))})
	}
	return out, nil
}

// usageKind picks the Usage type: ClusterUsage (Crossplane 2) or Usage (Crossplane 1.x) for the
// cluster-scoped resources of a legacy XR, a namespaced Usage for a namespaced XR.
func (t *tenant) usageKind() (apiVersion, kind string, err error) {
	switch {
	case t.input.Usages.APIVersion == inputv1beta1.UsageAPIExtensions && t.scope == scopeNamespaced:
		return "", "", fmt.Errorf("input usages.apiVersion %s is Crossplane 1.x's, which has no namespaced TenantClusters: use %s",
			inputv1beta1.UsageAPIExtensions, inputv1beta1.UsageProtection)
	case t.input.Usages.APIVersion == inputv1beta1.UsageAPIExtensions:
		return inputv1beta1.UsageAPIExtensions, "Usage", nil
	case t.scope == scopeNamespaced:
		return inputv1beta1.UsageProtection, "Usage", nil
	default:
		return inputv1beta1.UsageProtection, "ClusterUsage", nil
	}
}

// usageRef refers to a composed resource by its type and name; a namespaced Usage refers to
// resources in its own namespace.
func usageRef(obj map[string]any) map[string]any {
	meta, _ := obj["metadata"].(map[string]any)
	return map[string]any{
		"apiVersion":  obj["apiVersion"],
		"kind":        obj["kind"],
		"resourceRef": map[string]any{"name": meta["name"]},
	}
}
