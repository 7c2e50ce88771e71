package rancher

import (
	"slices"

	"github.com/crossplane/function-sdk-go/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Until this version the Rancher layer installed the agent through Objects inside the virtual
// cluster, among them Rancher's own namespaces. Dropping those Objects outright would make
// provider-kubernetes delete cattle-system and cattle-fleet-system inside every registered
// tenant's virtual cluster on upgrade, and with them the running agents. So an upgraded tenant
// lets go of them in two runs: first they are composed once more as Observe-only (no Delete in
// their management policies), then, once Crossplane has applied that, they are dropped and their
// deletion leaves Rancher's namespaces where they are. The rest of the old install (the import
// Secret, the installer and its rights, the token lookup) is dropped at once and deleted.

// legacyAgentNamespaces are the pipeline names of the earlier Objects of Rancher's namespaces.
var legacyAgentNamespaces = []resource.Name{"agent-ns", "agent-fleet-ns"}

// releaseLegacyAgentNamespaces composes what is still to be let go of.
func releaseLegacyAgentNamespaces(t *tenant.Tenant, observed compose.Observed) []compose.Desired {
	var out []compose.Desired
	for _, name := range legacyAgentNamespaces {
		u := observed.Get(name)
		if u == nil {
			continue
		}
		policies, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "managementPolicies")
		if slices.Equal(policies, []string{"Observe"}) {
			// Let go of already: dropped, its deletion leaves the namespace.
			continue
		}
		manifest := compose.ObservedManifest(u)
		meta, _ := manifest["metadata"].(map[string]any)
		nsName, _ := meta["name"].(string)
		if nsName == "" {
			nsName = map[resource.Name]string{"agent-ns": tenant.AgentNamespace, "agent-fleet-ns": tenant.AgentFleetNamespace}[name]
		}
		obj := compose.TenantObject(t, string(name), map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": nsName},
		}, nil)
		compose.SetSpec(obj, "managementPolicies", []any{"Observe"})
		out = append(out, compose.Desired{Name: name, Object: obj, Ready: true})
	}
	return out
}
