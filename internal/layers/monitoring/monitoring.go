// Package monitoring is the monitoring layer: each tenant gets a Prometheus, an Alertmanager and
// a Grafana of its own that see only its own workloads. With the KubePrometheusStack backend
// they come from a slim kube-prometheus-stack Release in the tenant's host namespace (the
// cluster's Prometheus operator serves it; every selector is pinned to the tenant); with the
// PrometheusFederator backend Rancher's prometheus-federator makes the same from a
// ProjectHelmChart in the tenant's project. The claim's receivers and the default rules are an
// AlertmanagerConfig and a PrometheusRule in the host namespace.
package monitoring

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pipeline names of the layer's resources.
const (
	ResourceRelease     resource.Name = "monitoring"
	resourceAccount     resource.Name = "monitoring-account"
	resourceRole        resource.Name = "monitoring-role"
	resourceRoleBinding resource.Name = "monitoring-role-binding"
	resourceAlerts      resource.Name = "monitoring-alerts"
	resourceRules       resource.Name = "monitoring-rules"
	resourceDashboards  resource.Name = "monitoring-dashboards"
)

// Condition and reasons of the monitoring layer.
const (
	ConditionMonitoringReady = "MonitoringReady"

	ReasonPending       = "Pending"
	ReasonReleaseFailed = "ReleaseFailed"
	ReasonProblems      = "Problems"
	ReasonReady         = "Ready"
	ReasonOff           = compose.ReasonOff
)

// Layer composes the tenant's monitoring while the claim asks for it and the platform offers
// it; otherwise nothing, so that turning it off removes it (the Prometheus volume then follows
// the Input's storage.whenDeleted).
func Layer(t *tenant.Tenant, observed compose.Observed) (layer.Output, error) {
	if !t.Monitoring.Enabled {
		return off(t), nil
	}
	host := t.Input.Targets.Host.KubernetesProviderConfig
	var out layer.Output
	add := func(name resource.Name, suffix string, manifest map[string]any) {
		out.Resources = append(out.Resources, compose.Desired{
			Name: name, Object: compose.Object(t, suffix, host, manifest, nil), Ready: compose.IsReady(observed.Get(name)),
		})
		out.Dependencies = append(out.Dependencies, compose.Dependency{By: name, Of: compose.ResourceNamespace})
	}
	// The stack's Prometheus runs as project-monitoring, and its Grafana mounts the dashboards;
	// prometheus-federator brings its own.
	stack := t.Monitoring.Backend == inputv1beta1.MonitoringKubePrometheusStack
	if stack {
		add(resourceAccount, "monitoring-sa", accountManifest(t))
		add(resourceRole, "monitoring-role", roleManifest(t))
		add(resourceRoleBinding, "monitoring-role-binding", roleBindingManifest(t))
		add(resourceDashboards, "monitoring-dashboards", dashboardsManifest(t))
	}

	amc, err := alertmanagerConfig(t)
	if err != nil {
		return layer.Output{}, fmt.Errorf("cannot compose the tenant's AlertmanagerConfig: %w", err)
	}
	for _, o := range []struct {
		name   resource.Name
		suffix string
		obj    any
	}{{resourceAlerts, "monitoring-alerts", amc}, {resourceRules, "monitoring-rules", rules(t)}} {
		m, err := compose.ToMap(o.obj)
		if err != nil {
			return layer.Output{}, fmt.Errorf("cannot compose the tenant's %s: %w", o.suffix, err)
		}
		add(o.name, o.suffix, m)
	}

	var release compose.Release
	switch t.Monitoring.Backend {
	case inputv1beta1.MonitoringPrometheusFederator:
		obj, err := projectHelmChart(t, observed)
		if err != nil {
			return layer.Output{}, err
		}
		out.Resources = append(out.Resources, compose.Desired{Name: ResourceRelease, Object: obj, Ready: federatorReady(observed.Get(ResourceRelease))})
		release = federatorState(observed.Get(ResourceRelease))
	default:
		obj, err := stackRelease(t, observed)
		if err != nil {
			return layer.Output{}, err
		}
		release = compose.ObserveRelease(observed.Get(ResourceRelease))
		out.Resources = append(out.Resources, compose.Desired{Name: ResourceRelease, Object: obj, Ready: release.Ready})
	}
	// The release's pods are in the host namespace, with the account they run as and the
	// dashboards they mount.
	out.Dependencies = append(out.Dependencies, compose.Dependency{By: ResourceRelease, Of: compose.ResourceNamespace})
	if stack {
		out.Dependencies = append(out.Dependencies,
			compose.Dependency{By: ResourceRelease, Of: resourceRoleBinding},
			compose.Dependency{By: ResourceRelease, Of: resourceDashboards})
	}

	resources, deps := copier(t).Compose(t, observed)
	out.Resources = append(out.Resources, resources...)
	out.Dependencies = append(out.Dependencies, deps...)
	out.Workloads = workloads(t)

	status := monitoringStatus(t, observed, release)
	out.Conditions = []compose.Condition{condition(t, observed, release)}
	out.Status = func(s *v1alpha1.TenantClusterStatus) { s.Monitoring = &status }
	return out, nil
}

// copier brings the receivers' credentials and the Grafana admin password into
// tenant.MonitoringCredentialsSecret in the host namespace (compose.Copier says how).
func copier(t *tenant.Tenant) compose.Copier {
	return compose.Copier{
		Layer: "monitoring", Suffix: "monitoring-credentials", Secret: tenant.MonitoringCredentialsSecret,
		Credentials: t.Monitoring.Credentials, Settings: t.Input.Monitoring.Credentials,
	}
}

// off is the layer while the tenant has no monitoring: nothing composed, and a tenant whose
// monitoring was on is told it is off now (Crossplane keeps a condition the function stops
// returning).
func off(t *tenant.Tenant) layer.Output {
	return layer.Output{Conditions: compose.Off(t.ObservedConditions, ConditionMonitoringReady,
		"Monitoring is off: the claim names no spec.monitoring, or the platform does not offer monitoring")}
}

// condition reads the release (or the ProjectHelmChart) and the alerting objects.
func condition(t *tenant.Tenant, observed compose.Observed, r compose.Release) compose.Condition {
	c := compose.Condition{Type: ConditionMonitoringReady}
	what := "the monitoring release"
	if t.Monitoring.Backend == inputv1beta1.MonitoringPrometheusFederator {
		what = "the ProjectHelmChart"
	}
	var problems []string
	if p := copier(t).Problem(t, observed, "the receivers' credentials and the Grafana admin password"); p != "" {
		problems = append(problems, p)
	}
	others := []resource.Name{resourceAlerts, resourceRules}
	if t.Monitoring.Backend == inputv1beta1.MonitoringKubePrometheusStack {
		others = append(others, resourceAccount, resourceRole, resourceRoleBinding, resourceDashboards)
	}
	ready := r.Ready
	for _, n := range others {
		ready = ready && compose.IsReady(observed.Get(n))
	}
	switch {
	case r.State == "failed":
		c.Reason, c.Failed = ReasonReleaseFailed, true
		c.Message = what + " failed: " + r.Message
		if t.Monitoring.Backend == inputv1beta1.MonitoringKubePrometheusStack {
			c.Message += fmt.Sprintf(" (revision %d); provider-helm retries after a change of the claim's spec.monitoring or the platform's input", r.Revision)
		}
	case len(problems) > 0:
		c.Reason = ReasonProblems
		c.Message = strings.Join(problems, "; ")
	case ready:
		c.Status, c.Reason = true, ReasonReady
		c.Message = fmt.Sprintf("Prometheus, Alertmanager and Grafana are deployed (revision %d); alerts go to %d receivers", r.Revision, len(t.Monitoring.Receivers))
	default:
		c.Reason = ReasonPending
		c.Message = "Waiting for " + what + " to deploy"
		if r.State != "" {
			c.Message += " (Helm state " + r.State + ")"
		}
		if r.Message != "" {
			c.Message += ": " + r.Message
		}
		c.Message += "." + compose.SyncProblem(observed, append([]resource.Name{ResourceRelease}, others...)...)
	}
	return c
}

// monitoringStatus is status.monitoring: where to reach the tenant's Grafana, Alertmanager and
// Prometheus, and what Prometheus keeps.
func monitoringStatus(t *tenant.Tenant, observed compose.Observed, r compose.Release) v1alpha1.MonitoringStatus {
	storage, _ := keptStorage(t, observed.Get(ResourceRelease))
	s := v1alpha1.MonitoringStatus{
		Backend:   t.Monitoring.Backend,
		Revision:  r.Revision,
		Retention: t.Monitoring.Retention,
		Storage:   storage.String(),
	}
	if s.Revision == 0 && t.ObservedStatus.Monitoring != nil {
		s.Revision = t.ObservedStatus.Monitoring.Revision
	}
	for _, rcv := range t.Monitoring.Receivers {
		s.Receivers = append(s.Receivers, rcv.Name)
	}
	if t.Monitoring.Backend == inputv1beta1.MonitoringPrometheusFederator {
		// prometheus-federator says where it put them, once it has.
		m := compose.ObservedManifest(observed.Get(ResourceRelease))
		s.GrafanaURL = compose.ManifestString(m, "status", "dashboardValues", "grafanaURL")
		s.AlertmanagerURL = compose.ManifestString(m, "status", "dashboardValues", "alertmanagerURL")
		s.PrometheusURL = compose.ManifestString(m, "status", "dashboardValues", "prometheusURL")
		return s
	}
	svc := services()
	s.GrafanaURL, s.AlertmanagerURL, s.PrometheusURL = serviceURL(t, svc.grafana), serviceURL(t, svc.alertmanager), serviceURL(t, svc.prometheus)
	return s
}

// serviceURL is a Service's address for the tenant: through Rancher's service proxy on the host
// cluster when the platform registers tenants in Rancher and names the host cluster, else the
// in-cluster address.
func serviceURL(t *tenant.Tenant, s service) string {
	r := t.Input.Rancher
	if r.Enabled && r.Projects.HostClusterID != "" {
		return fmt.Sprintf("%s/k8s/clusters/%s/api/v1/namespaces/%s/services/http:%s:%d/proxy/", t.RancherURL(), r.Projects.HostClusterID, t.HostNamespace, s.name, s.port)
	}
	return fmt.Sprintf("http://%s.%s.svc:%d", s.name, t.HostNamespace, s.port)
}
