// Package usages composes the Usages that order a tenant's deletion, from the dependencies the
// layers declare.
package usages

import (
	"fmt"

	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Compose composes one Usage per dependency the layers declared, named after its consumer (and
// what it uses, where it uses several):
// the Usages make a tenant's deletion happen in order (compose.Dependency). It runs after the
// layers, on their collected resources: desired holds every composed resource by pipeline name.
// A dependency on a resource no layer composed is a bug, reported as an error.
func Compose(t *tenant.Tenant, deps []compose.Dependency, desired map[resource.Name]compose.Desired, observed compose.Observed) ([]compose.Desired, error) {
	apiVersion, kind, err := usageKind(t)
	if err != nil {
		return nil, err
	}
	uses := map[resource.Name]int{}
	for _, d := range deps {
		uses[d.By]++
	}
	out := make([]compose.Desired, 0, len(deps))
	for _, d := range deps {
		by, okBy := desired[d.By]
		of, okOf := desired[d.Of]
		if !okBy || !okOf {
			return nil, fmt.Errorf("%s uses %s, but no layer composes both", d.By, d.Of)
		}
		// Named after the consumer; one that uses several resources has a Usage for each, named
		// after both.
		name := "usage-" + d.By
		if uses[d.By] > 1 {
			name += "-of-" + d.Of
		}
		usage := map[string]any{
			"apiVersion": apiVersion,
			"kind":       kind,
			"metadata":   compose.ComposedMeta(t, string(name)),
			"spec": map[string]any{
				"of": usageRef(of.Object),
				"by": usageRef(by.Object),
				// Retry the blocked deletion as soon as the Usage is gone, rather than on the
				// garbage collector's backoff.
				"replayDeletion": true,
			},
		}
		out = append(out, compose.Desired{Name: name, Object: usage, Ready: compose.IsReady(observed.Get(name))})
	}
	return out, nil
}

// usageKind picks the Usage type: ClusterUsage (Crossplane 2) or Usage (Crossplane 1.x) for the
// cluster-scoped resources of a legacy XR, a namespaced Usage for a namespaced XR.
func usageKind(t *tenant.Tenant) (apiVersion, kind string, err error) {
	switch {
	case t.Input.Usages.APIVersion == inputv1beta1.UsageAPIExtensions && t.Scope == tenant.ScopeNamespaced:
		return "", "", fmt.Errorf("input usages.apiVersion %s is Crossplane 1.x's, which has no namespaced TenantClusters: use %s",
			inputv1beta1.UsageAPIExtensions, inputv1beta1.UsageProtection)
	case t.Input.Usages.APIVersion == inputv1beta1.UsageAPIExtensions:
		return inputv1beta1.UsageAPIExtensions, "Usage", nil
	case t.Scope == tenant.ScopeNamespaced:
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
