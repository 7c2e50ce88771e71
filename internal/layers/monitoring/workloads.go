package monitoring

import (
	"net"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// What the tenant's monitoring runs in its host namespace (KubePrometheusStack; the
// PrometheusFederator backend runs it in the project's own namespace). The cluster's Prometheus
// operator writes the Prometheus and Alertmanager pods from the chart's CRs: declared is what
// the values ask of them and what the operator adds (v0.93: a config-reloader beside each, with
// the operator's default resources, and every container non-root, read-only, without
// privileges). test/chart holds Grafana's declaration against the real chart's Deployment.
const (
	prometheusImage     = "quay.io/prometheus/prometheus"
	alertmanagerImage   = "quay.io/prometheus/alertmanager"
	configReloaderImage = "quay.io/prometheus-operator/prometheus-config-reloader"
	// grafanaImage is the image chart 88.5.3's Grafana (12.11.1) runs.
	grafanaImage = "docker.io/grafana/grafana:13.2.0"
)

// operatorContainerSecurity is what the Prometheus operator sets on every container it writes.
func operatorContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// configReloader is the operator's config-reloader with its default resources.
func configReloader(name string) corev1.Container {
	r := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("50Mi")}
	return corev1.Container{Name: name, Image: configReloaderImage, SecurityContext: operatorContainerSecurity(),
		Resources: corev1.ResourceRequirements{Requests: r, Limits: r}}
}

func workloads(t *tenant.Tenant) []layer.Workload {
	if t.Monitoring.Backend != inputv1beta1.MonitoringKubePrometheusStack {
		return nil
	}
	in := t.Input.Monitoring
	clusterIP := func(ports int64) layer.ServiceCount {
		return layer.ServiceCount{Type: corev1.ServiceTypeClusterIP, Ports: ports}
	}
	g := grafanaValuesFor(t)
	configMap := func(name string) corev1.VolumeSource {
		return corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}
	}
	emptyDir := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	// In the chart's order.
	grafanaVolumes := []corev1.Volume{
		{Name: "config", VolumeSource: configMap(grafanaFullname)},
		{Name: "dashboards-tenant", VolumeSource: configMap(dashboardsConfigMap)},
		{Name: "storage", VolumeSource: emptyDir},
		{Name: "search", VolumeSource: emptyDir},
	}
	for _, m := range g.ExtraSecretMounts {
		grafanaVolumes = append(grafanaVolumes, corev1.Volume{Name: m.Name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: m.SecretName, Items: m.Items}}})
	}
	prometheus := corev1.Container{Name: "prometheus", Image: prometheusImage, SecurityContext: operatorContainerSecurity(),
		Resources: corev1.ResourceRequirements{Requests: in.Prometheus.Requests, Limits: in.Prometheus.Limits}}
	alertmanager := corev1.Container{Name: "alertmanager", Image: alertmanagerImage, SecurityContext: operatorContainerSecurity(),
		Resources: corev1.ResourceRequirements{Requests: in.Alertmanager.Requests, Limits: in.Alertmanager.Limits}}
	storage, _ := keptStorage(t, nil)
	return []layer.Workload{
		{
			Name: "Prometheus", Replicas: 1, Labels: workloadLabels("prometheus"),
			Pod: corev1.PodSpec{
				ServiceAccountName: federationAccount,
				SecurityContext:    restrictedPod(monitoringUID),
				InitContainers:     []corev1.Container{configReloader("init-config-reloader")},
				Containers:         []corev1.Container{prometheus, configReloader("config-reloader")},
			},
			Claims: []resource.Quantity{storage},
			// The chart's Service and the operator's governing one.
			Services: []layer.ServiceCount{clusterIP(2), clusterIP(2)},
			Egress:   federationTraffic(t),
		},
		{
			Name: "Alertmanager", Replicas: 1, Labels: workloadLabels("alertmanager"),
			Pod: corev1.PodSpec{
				SecurityContext: restrictedPod(monitoringUID),
				InitContainers:  []corev1.Container{configReloader("init-config-reloader")},
				Containers:      []corev1.Container{alertmanager, configReloader("config-reloader")},
				// Without storage the operator gives Alertmanager an emptyDir.
				Volumes: []corev1.Volume{{Name: "alertmanager-db", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			},
			Services: []layer.ServiceCount{clusterIP(2), clusterIP(3)},
			Egress:   receiverTraffic(t),
		},
		{
			Name: "Grafana", Replicas: 1, Labels: workloadLabels("grafana"),
			Pod: corev1.PodSpec{
				AutomountServiceAccountToken: ptr.To(false),
				SecurityContext:              grafanaPodSecurity(),
				Containers: []corev1.Container{{
					Name: "grafana", Image: grafanaImage, SecurityContext: grafanaContainerSecurity(),
					Resources: g.Resources,
				}},
				Volumes: grafanaVolumes,
			},
			Services: []layer.ServiceCount{clusterIP(1)},
		},
	}
}

// grafanaPodSecurity and grafanaContainerSecurity are the Grafana chart's defaults, which meet
// "restricted" (test/chart checks the rendered Deployment has them).
func grafanaPodSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(grafanaUID), RunAsGroup: ptr.To(grafanaUID), FSGroup: ptr.To(grafanaUID)}
}

func grafanaContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Privileged:               ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// federationTraffic is Prometheus' flow to the cluster Prometheus' prometheus-auth, to each of
// the addresses the platform names for it (to an unknown address without them).
func federationTraffic(t *tenant.Tenant) []layer.Traffic {
	fed := t.Input.Monitoring.Federation
	port := int32(80)
	if u, err := url.Parse(fed.URL); err == nil {
		if u.Scheme == "https" {
			port = 443
		}
		if _, p, err := net.SplitHostPort(u.Host); err == nil {
			if n, err := strconv.ParseInt(p, 10, 32); err == nil {
				port = int32(n)
			}
		}
	}
	why := "federation from the cluster's Prometheus through prometheus-auth at " + fed.URL
	if len(fed.CIDRs) == 0 {
		return []layer.Traffic{{Protocol: corev1.ProtocolTCP, Port: port, Why: why}}
	}
	out := make([]layer.Traffic, 0, len(fed.CIDRs))
	for _, c := range fed.CIDRs {
		out = append(out, layer.Traffic{CIDR: c, Protocol: corev1.ProtocolTCP, Port: port, Why: why})
	}
	return out
}

// receiverTraffic is Alertmanager's flows to the claim's receivers: host names (or URLs the
// function never reads), which no policy can name.
func receiverTraffic(t *tenant.Tenant) []layer.Traffic {
	out := make([]layer.Traffic, 0, len(t.Monitoring.Receivers))
	for _, r := range t.Monitoring.Receivers {
		out = append(out, layer.Traffic{Protocol: corev1.ProtocolTCP, Why: "the tenant's " + r.Type + " receiver " + r.Name})
	}
	return out
}
