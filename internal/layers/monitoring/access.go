package monitoring

import (
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The tenant's Prometheus runs as ServiceAccount project-monitoring, which the layer composes
// with exactly the rights it needs, in the host namespace only (the chart's own RBAC is off: it
// would grant cluster-wide reads):
//
//   - view on the monitoring.coreos.com prometheuses of the namespace: what prometheus-auth
//     asks of a token before it answers /federate with that namespace's series;
//   - read on the pods, services and endpoints of the namespace, to find the tenant's
//     annotated pods and its Alertmanager.
const federationAccount = "project-monitoring"

func accountManifest(t *tenant.Tenant) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": federationAccount, "namespace": t.HostNamespace, "labels": t.Labels()},
	}
}

func roleManifest(t *tenant.Tenant) map[string]any {
	read := []string{"get", "list", "watch"}
	return compose.Role(federationAccount, t.HostNamespace, t.Labels(),
		compose.Rule{APIGroup: "monitoring.coreos.com", Resource: "prometheuses", Verbs: []string{"view"}},
		compose.Rule{Resource: "pods", Verbs: read},
		compose.Rule{Resource: "services", Verbs: read},
		compose.Rule{Resource: "endpoints", Verbs: read},
		compose.Rule{APIGroup: "discovery.k8s.io", Resource: "endpointslices", Verbs: read},
	)
}

func roleBindingManifest(t *tenant.Tenant) map[string]any {
	return compose.RoleBinding(federationAccount, t.HostNamespace, t.Labels(), federationAccount,
		compose.Subject(nil, federationAccount, t.HostNamespace))
}

// selectorLabels go on the tenant's AlertmanagerConfig and PrometheusRule; its Prometheus and
// Alertmanager select by them, within its host namespace only.
func selectorLabels(t *tenant.Tenant) map[string]string {
	return map[string]string{tenant.LabelTenant: t.ID}
}
