package monitoring

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The tenant's Grafana. Its members view it through Rancher's service proxy without logging in,
// as Viewer (Rancher decides who reaches the proxy: the tenant's project members and owners);
// nobody is ever an anonymous admin. The admin user exists only when the claim gives its
// password (spec.monitoring.grafana.adminPassword), which the copier brings into the host
// namespace and Grafana reads from a file; without it, nobody can log in to edit.
//
// The datasource (the tenant's Prometheus) and the workloads dashboard are provisioned from
// files the chart writes, not by the sidecars, which would need to read the namespace's
// ConfigMaps and Secrets: Grafana runs without any RBAC and without a ServiceAccount token.

// grafanaUID is the grafana user of Grafana's image.
const grafanaUID int64 = 472

func grafanaValuesFor(t *tenant.Tenant) grafanaValues {
	in := t.Input.Monitoring
	svc := services()
	g := grafanaValues{
		Enabled:          true,
		FullnameOverride: grafanaFullname,
		RBAC:             grafanaRBAC{},
		ServiceAccount:   serviceAccountValues{Create: true, AutomountServiceAccountToken: ptr.To(false)},
		ServiceMonitor:   grafanaMonitor{Enabled: true, Labels: selectorLabels(t)},
		Resources:        corev1.ResourceRequirements{Requests: in.Grafana.Requests, Limits: in.Grafana.Limits},
		PodLabels:        workloadLabels("grafana"),
		GrafanaIni: map[string]any{
			"server": map[string]any{
				// Rancher's proxy strips its path before Grafana sees the request; Grafana builds
				// its links from root_url.
				"root_url":            serviceURL(t, svc.grafana),
				"serve_from_sub_path": false,
			},
			"auth.anonymous": map[string]any{"enabled": true, "org_role": "Viewer"},
			"users":          map[string]any{"allow_sign_up": false, "viewers_can_edit": false},
			"analytics":      map[string]any{"check_for_updates": false, "reporting_enabled": false},
		},
		Datasources: map[string]any{"datasources.yaml": map[string]any{
			"apiVersion": 1,
			"datasources": []any{map[string]any{
				"name": "Prometheus", "type": "prometheus", "uid": "prometheus", "access": "proxy", "isDefault": true,
				"url": fmt.Sprintf("http://%s.%s.svc:%d", svc.prometheus.name, t.HostNamespace, svc.prometheus.port),
			}},
		}},
		DashboardProviders: map[string]any{"dashboardproviders.yaml": map[string]any{
			"apiVersion": 1,
			"providers": []any{map[string]any{
				"name": "tenant", "orgId": 1, "folder": "Tenant", "type": "file", "disableDeletion": true, "editable": false,
				"options": map[string]any{"path": "/var/lib/grafana/dashboards/tenant"},
			}},
		}},
		DashboardsConfigMaps: map[string]string{"tenant": dashboardsConfigMap},
	}
	if key := t.Monitoring.GrafanaAdminPassword; key != "" {
		g.Env = map[string]string{"GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD__FILE": grafanaAdminPath + "/password"}
		g.ExtraSecretMounts = []secretMount{{
			Name: "admin", SecretName: tenant.MonitoringCredentialsSecret, MountPath: grafanaAdminPath, ReadOnly: true,
			Items: []corev1.KeyToPath{{Key: key, Path: "password"}},
		}}
	} else {
		g.Env = map[string]string{"GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION": "true"}
	}
	return g
}

// dashboardsConfigMap holds the tenant's dashboards, one file each; the layer composes it.
const dashboardsConfigMap = "tenant-monitoring-dashboards"

func dashboardsManifest(t *tenant.Tenant) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": dashboardsConfigMap, "namespace": t.HostNamespace, "labels": t.Labels()},
		"data":     map[string]any{"workloads.json": workloadsDashboard},
	}
}

// workloadsDashboard is the tenant's workloads: CPU, memory and restarts of its pods, and its
// quota, by the names inside its virtual cluster.
const workloadsDashboard = `{
  "title": "Tenant workloads",
  "uid": "tenant-workloads",
  "schemaVersion": 39,
  "time": {"from": "now-6h", "to": "now"},
  "templating": {"list": [{"name": "namespace", "type": "query", "datasource": {"type": "prometheus", "uid": "prometheus"},
    "query": "label_values(kube_pod_info, namespace)", "includeAll": true, "multi": true}]},
  "panels": [
    {"type": "timeseries", "title": "CPU (cores)", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
     "targets": [{"expr": "sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=\"\", namespace=~\"$namespace\"}[5m]))", "legendFormat": "{{namespace}}/{{pod}}"}]},
    {"type": "timeseries", "title": "Memory (working set)", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}, "fieldConfig": {"defaults": {"unit": "bytes"}},
     "targets": [{"expr": "sum by (namespace, pod) (container_memory_working_set_bytes{container!=\"\", namespace=~\"$namespace\"})", "legendFormat": "{{namespace}}/{{pod}}"}]},
    {"type": "timeseries", "title": "Container restarts (1h)", "gridPos": {"x": 0, "y": 8, "w": 12, "h": 8},
     "targets": [{"expr": "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{namespace=~\"$namespace\"}[1h]))", "legendFormat": "{{namespace}}/{{pod}}"}]},
    {"type": "bargauge", "title": "Quota used", "gridPos": {"x": 12, "y": 8, "w": 12, "h": 8}, "fieldConfig": {"defaults": {"unit": "percentunit", "max": 1}},
     "targets": [{"expr": "kube_resourcequota{type=\"used\"} / ignoring(type) (kube_resourcequota{type=\"hard\"} > 0)", "legendFormat": "{{resource}}"}]}
  ]
}`

// service is one of the monitoring Services.
type service struct {
	name string
	port int64
}

// stackServices are the Services of a tenant's Grafana, Alertmanager and Prometheus.
type stackServices struct{ grafana, alertmanager, prometheus service }

// services are the chart's Services under fullnameOverride, with their ports: the same names in
// every tenant's host namespace.
func services() stackServices {
	return stackServices{
		grafana:      service{grafanaFullname, 80},
		alertmanager: service{fullname + "-alertmanager", 9093},
		prometheus:   service{fullname + "-prometheus", 9090},
	}
}
