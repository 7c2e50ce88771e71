package rancher

import (
	"strings"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// ResourceProject is the pipeline name of the project created for a tenant.
const ResourceProject resource.Name = "rancher-project"

// projectResources composes the project created for the tenant on the host cluster, and, once
// Rancher reports the project's backing namespace, the owners' and members' role bindings on it.
// A project the claim joins is someone else's: the function only places the namespace in it.
func projectResources(t *tenant.Tenant, f rancherFacts, observed compose.Observed) []compose.Desired {
	id := t.Rancher.CreatedProjectID
	if id == "" {
		return nil
	}
	cluster, name, _ := strings.Cut(id, ":")
	display := t.ID
	if t.Name != "" && t.Namespace != "" {
		display = t.Namespace + "/" + t.Name
	}
	project := map[string]any{
		"apiVersion": "management.cattle.io/v3",
		"kind":       "Project",
		"metadata":   map[string]any{"name": name, "namespace": cluster, "labels": t.Labels()},
		"spec": map[string]any{
			"clusterName": cluster,
			"displayName": display,
			"description": "Host namespace of TenantCluster " + display + ", managed by " + tenant.ManagedBy,
		},
	}
	out := []compose.Desired{{
		Name: ResourceProject,
		Object: compose.Object(t, "rancher-project", t.RancherProviderConfig(), project, compose.CelReadiness(
			"has(object.status) && has(object.status.backingNamespace) && object.status.backingNamespace != ''")),
		Ready: f.projectNamespace != "",
	}}
	if f.projectNamespace == "" {
		return out
	}
	for _, b := range t.Rancher.ProjectBindings {
		suffix := "prtb-" + tenant.ShortHash(b.Key())
		manifest := map[string]any{
			"apiVersion":       "management.cattle.io/v3",
			"kind":             "ProjectRoleTemplateBinding",
			"metadata":         map[string]any{"name": "tc-" + tenant.ShortHash(b.Key()), "namespace": f.projectNamespace, "labels": t.Labels()},
			"projectName":      id,
			"roleTemplateName": b.Role,
		}
		setPrincipal(manifest, b.Principal)
		n := resource.Name(suffix)
		out = append(out, compose.Desired{Name: n, Object: compose.Object(t, suffix, t.RancherProviderConfig(), manifest, nil), Ready: compose.IsReady(observed.Get(n))})
	}
	return out
}
