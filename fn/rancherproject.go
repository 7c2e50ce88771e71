package fn

import (
	"strings"

	"github.com/crossplane/function-sdk-go/resource"
)

// resourceRancherProject is the pipeline name of the project created for a tenant.
const resourceRancherProject resource.Name = "rancher-project"

// projectResources composes the project created for the tenant on the host cluster, and, once
// Rancher reports the project's backing namespace, the owners' and members' role bindings on it.
// A project the claim joins is someone else's: the function only places the namespace in it.
func (t *tenant) projectResources(f rancherFacts, observed observedState) []desiredResource {
	id := t.rancher.createdProjectID
	if id == "" {
		return nil
	}
	cluster, name, _ := strings.Cut(id, ":")
	display := t.id
	if t.name != "" && t.namespace != "" {
		display = t.namespace + "/" + t.name
	}
	project := map[string]any{
		"apiVersion": "management.cattle.io/v3",
		"kind":       "Project",
		"metadata":   map[string]any{"name": name, "namespace": cluster, "labels": t.labels()},
		"spec": map[string]any{
			"clusterName": cluster,
			"displayName": display,
			"description": "Host namespace of TenantCluster " + display + ", managed by " + managedBy,
		},
	}
	out := []desiredResource{{
		name: resourceRancherProject,
		object: t.object("rancher-project", t.rancherProviderConfig(), project, celReadiness(
			"has(object.status) && has(object.status.backingNamespace) && object.status.backingNamespace != ''")),
		ready: f.projectNamespace != "",
	}}
	if f.projectNamespace == "" {
		return out
	}
	for _, b := range t.rancher.projectBindings {
		suffix := "prtb-" + shortHash(b.key())
		manifest := map[string]any{
			"apiVersion":       "management.cattle.io/v3",
			"kind":             "ProjectRoleTemplateBinding",
			"metadata":         map[string]any{"name": "tc-" + shortHash(b.key()), "namespace": f.projectNamespace, "labels": t.labels()},
			"projectName":      id,
			"roleTemplateName": b.role,
		}
		setPrincipal(manifest, b.principal)
		n := resource.Name(suffix)
		out = append(out, desiredResource{name: n, object: t.object(suffix, t.rancherProviderConfig(), manifest, nil), ready: isReady(observed.get(n))})
	}
	return out
}
