package monitoring

import (
	"fmt"
	"net/url"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// What the tenant's Prometheus scrapes, besides what the cluster's operator derives from the
// tenant's own ServiceMonitors and PodMonitors (none today: those made inside the virtual
// cluster reach the host only through vcluster Pro's custom-resource sync).
//
//  1. federate: the tenant's host-namespace series from the cluster's Prometheus, through
//     prometheus-auth, which answers a ServiceAccount token with the series of the namespaces
//     that account may view: the tenant's own. They are the container, kubelet and
//     kube-state-metrics series of its pods, its quota and its control plane.
//  2. pods: the metrics the tenant's pods offer by annotation (prometheus.io/scrape: "true",
//     prometheus.io/port, prometheus.io/path), read straight from the synced pods of its
//     virtual cluster and no other pod.
//
// Either way a series of a tenant's pod carries the names the tenant knows, the namespace and
// pod inside the virtual cluster; the host's are kept as host_namespace and host_pod.

// scrapeConfig is a Prometheus scrape configuration, as the chart's
// prometheus.prometheusSpec.additionalScrapeConfigs takes it (Prometheus' own YAML names).
type scrapeConfig struct {
	JobName              string              `json:"job_name"`
	HonorLabels          bool                `json:"honor_labels,omitempty"`
	MetricsPath          string              `json:"metrics_path,omitempty"`
	Scheme               string              `json:"scheme,omitempty"`
	Params               map[string][]string `json:"params,omitempty"`
	Authorization        *authorization      `json:"authorization,omitempty"`
	StaticConfigs        []staticConfig      `json:"static_configs,omitempty"`
	KubernetesSDConfigs  []kubernetesSD      `json:"kubernetes_sd_configs,omitempty"`
	RelabelConfigs       []relabel           `json:"relabel_configs,omitempty"`
	MetricRelabelConfigs []relabel           `json:"metric_relabel_configs,omitempty"`
}

type authorization struct {
	Type            string `json:"type,omitempty"`
	CredentialsFile string `json:"credentials_file,omitempty"`
}

type staticConfig struct {
	Targets []string `json:"targets"`
}

type kubernetesSD struct {
	Role       string       `json:"role"`
	Namespaces sdNamespaces `json:"namespaces"`
}

type sdNamespaces struct {
	Names []string `json:"names"`
}

type relabel struct {
	SourceLabels []string `json:"source_labels,omitempty"`
	Separator    string   `json:"separator,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	TargetLabel  string   `json:"target_label,omitempty"`
	Replacement  string   `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

// serviceAccountToken is where Kubernetes mounts the pod's ServiceAccount token.
const serviceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token" //nolint:gosec // a path

// Labels vcluster (v0.36.1, pkg/util/translate) puts on the pods it syncs, as Kubernetes
// service discovery names them: the virtual cluster's name and the virtual namespace; and the
// annotation with the virtual pod's name.
const (
	sdManagedBy        = "__meta_kubernetes_pod_label_vcluster_loft_sh_managed_by"
	sdVirtualNamespace = "__meta_kubernetes_pod_label_vcluster_loft_sh_namespace"
	sdVirtualName      = "__meta_kubernetes_pod_annotation_vcluster_loft_sh_name"
)

// scrapeConfigs are the tenant's Prometheus' own scrape jobs.
func scrapeConfigs(t *tenant.Tenant) ([]scrapeConfig, error) {
	fed, err := federation(t)
	if err != nil {
		return nil, err
	}
	return []scrapeConfig{fed, annotatedPods(t)}, nil
}

// federation reads the tenant's namespace from the cluster's Prometheus. vcluster names a
// synced pod <pod>-x-<namespace>-x-<virtual cluster> (cut and hashed past 63 characters, which
// then keep the host's names): the relabelling reads the tenant's names back from it.
func federation(t *tenant.Tenant) (scrapeConfig, error) {
	u, err := url.Parse(t.Input.Monitoring.Federation.URL)
	if err != nil {
		return scrapeConfig{}, fmt.Errorf("input monitoring.federation.url: %w", err)
	}
	synced := fmt.Sprintf("(.+)-x-(.+)-x-%s", t.ReleaseName)
	return scrapeConfig{
		JobName:       "federate",
		HonorLabels:   true,
		MetricsPath:   "/federate",
		Scheme:        u.Scheme,
		Params:        map[string][]string{"match[]": {fmt.Sprintf(`{namespace=%q}`, t.HostNamespace)}},
		Authorization: &authorization{Type: "Bearer", CredentialsFile: serviceAccountToken},
		StaticConfigs: []staticConfig{{Targets: []string{u.Host}}},
		MetricRelabelConfigs: []relabel{
			{SourceLabels: []string{"namespace"}, Regex: "(.+)", TargetLabel: "host_namespace", Action: "replace"},
			{SourceLabels: []string{"pod"}, Regex: "(.+)", TargetLabel: "host_pod", Action: "replace"},
			{SourceLabels: []string{"pod"}, Regex: synced, TargetLabel: "namespace", Replacement: "$2", Action: "replace"},
			{SourceLabels: []string{"pod"}, Regex: synced, TargetLabel: "pod", Replacement: "$1", Action: "replace"},
		},
	}, nil
}

// annotatedPods scrapes the tenant's synced pods that ask for it by annotation.
func annotatedPods(t *tenant.Tenant) scrapeConfig {
	return scrapeConfig{
		JobName:             "pods",
		KubernetesSDConfigs: []kubernetesSD{{Role: "pod", Namespaces: sdNamespaces{Names: []string{t.HostNamespace}}}},
		RelabelConfigs: []relabel{
			// Only this virtual cluster's pods, and only those that ask.
			{SourceLabels: []string{sdManagedBy}, Regex: t.ReleaseName, Action: "keep"},
			{SourceLabels: []string{"__meta_kubernetes_pod_annotation_prometheus_io_scrape"}, Regex: "true", Action: "keep"},
			{SourceLabels: []string{"__meta_kubernetes_pod_phase"}, Regex: "Running", Action: "keep"},
			{SourceLabels: []string{"__meta_kubernetes_pod_annotation_prometheus_io_path"}, Regex: "(.+)", TargetLabel: "__metrics_path__", Action: "replace"},
			{SourceLabels: []string{"__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"}, Separator: ";",
				Regex: `([^;]+);([0-9]+)`, TargetLabel: "__address__", Replacement: "$1:$2", Action: "replace"},
			{SourceLabels: []string{sdVirtualNamespace}, TargetLabel: "namespace", Action: "replace"},
			{SourceLabels: []string{sdVirtualName}, TargetLabel: "pod", Action: "replace"},
			{SourceLabels: []string{"__meta_kubernetes_pod_name"}, TargetLabel: "host_pod", Action: "replace"},
			{TargetLabel: "host_namespace", Replacement: t.HostNamespace, Action: "replace"},
		},
	}
}
