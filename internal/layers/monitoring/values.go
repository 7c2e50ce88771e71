package monitoring

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The values of the slim kube-prometheus-stack (88.5.3) each tenant gets. Only the fields set are
// typed; the chart defaults the rest. test/chart renders the real chart with them and checks
// what it makes: only Prometheus, Alertmanager and Grafana with their Services, ServiceMonitors,
// ConfigMaps and ServiceAccounts, all in the host namespace, nothing cluster-scoped, no CRDs.
//
//   - The cluster's Prometheus operator serves the tenant's Prometheus and Alertmanager; the
//     chart's operator, node exporter, kube-state-metrics, default rules and every
//     control-plane scraper are off (the cluster's monitoring has them; the tenant reads its own
//     part by federation).
//   - global.rbac.create is false: the chart would grant Prometheus cluster-wide reads. The layer
//     composes project-monitoring's Role instead. Grafana provisions its datasource and
//     dashboard from files, without the sidecars that would need to read the namespace's
//     ConfigMaps and Secrets (the vcluster's among them), so it gets no RBAC and no token.
//   - Every selector is pinned to the tenant: the namespace selectors to the host namespace's
//     name, the object selectors to the tenant's label; ServiceMonitors cannot widen their own
//     namespace (ignoreNamespaceSelectors).
type stackValues struct {
	FullnameOverride          string             `json:"fullnameOverride"`
	CommonLabels              map[string]string  `json:"commonLabels"`
	CRDs                      enabled            `json:"crds"`
	Global                    globalValues       `json:"global"`
	DefaultRules              createValues       `json:"defaultRules"`
	WindowsMonitoring         enabled            `json:"windowsMonitoring"`
	PrometheusOperator        operatorValues     `json:"prometheusOperator"`
	KubeStateMetrics          enabled            `json:"kubeStateMetrics"`
	NodeExporter              enabled            `json:"nodeExporter"`
	KubernetesServiceMonitors enabled            `json:"kubernetesServiceMonitors"`
	KubeAPIServer             enabled            `json:"kubeApiServer"`
	Kubelet                   enabled            `json:"kubelet"`
	KubeControllerManager     enabled            `json:"kubeControllerManager"`
	CoreDNS                   enabled            `json:"coreDns"`
	KubeDNS                   enabled            `json:"kubeDns"`
	KubeEtcd                  enabled            `json:"kubeEtcd"`
	KubeScheduler             enabled            `json:"kubeScheduler"`
	KubeProxy                 enabled            `json:"kubeProxy"`
	ThanosRuler               enabled            `json:"thanosRuler"`
	Prometheus                prometheusValues   `json:"prometheus"`
	Alertmanager              alertmanagerValues `json:"alertmanager"`
	Grafana                   grafanaValues      `json:"grafana"`
}

type enabled struct {
	Enabled bool `json:"enabled"`
}

type createValues struct {
	Create bool `json:"create"`
}

type globalValues struct {
	RBAC rbacValues `json:"rbac"`
}

type rbacValues struct {
	Create                      bool `json:"create"`
	CreateAggregateClusterRoles bool `json:"createAggregateClusterRoles"`
}

type operatorValues struct {
	Enabled           bool    `json:"enabled"`
	AdmissionWebhooks enabled `json:"admissionWebhooks"`
	NetworkPolicy     enabled `json:"networkPolicy"`
}

type serviceAccountValues struct {
	Create bool   `json:"create"`
	Name   string `json:"name,omitempty"`
	// AutomountServiceAccountToken is Grafana's (its chart's name for it).
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty"`
}

type podMetadata struct {
	Labels map[string]string `json:"labels"`
}

type prometheusValues struct {
	Enabled        bool                 `json:"enabled"`
	ServiceAccount serviceAccountValues `json:"serviceAccount"`
	PrometheusSpec prometheusSpec       `json:"prometheusSpec"`
}

type prometheusSpec struct {
	// The *NilUsesHelmValues keys decide what an empty selector becomes; every selector is
	// stated, so they never apply, and false keeps them from ever substituting release=<name>.
	ServiceMonitorSelectorNilUsesHelmValues bool `json:"serviceMonitorSelectorNilUsesHelmValues"`
	PodMonitorSelectorNilUsesHelmValues     bool `json:"podMonitorSelectorNilUsesHelmValues"`
	ProbeSelectorNilUsesHelmValues          bool `json:"probeSelectorNilUsesHelmValues"`
	ScrapeConfigSelectorNilUsesHelmValues   bool `json:"scrapeConfigSelectorNilUsesHelmValues"`
	RuleSelectorNilUsesHelmValues           bool `json:"ruleSelectorNilUsesHelmValues"`

	ServiceMonitorSelector          *metav1.LabelSelector `json:"serviceMonitorSelector"`
	ServiceMonitorNamespaceSelector *metav1.LabelSelector `json:"serviceMonitorNamespaceSelector"`
	PodMonitorSelector              *metav1.LabelSelector `json:"podMonitorSelector"`
	PodMonitorNamespaceSelector     *metav1.LabelSelector `json:"podMonitorNamespaceSelector"`
	ProbeSelector                   *metav1.LabelSelector `json:"probeSelector"`
	ProbeNamespaceSelector          *metav1.LabelSelector `json:"probeNamespaceSelector"`
	ScrapeConfigSelector            *metav1.LabelSelector `json:"scrapeConfigSelector"`
	ScrapeConfigNamespaceSelector   *metav1.LabelSelector `json:"scrapeConfigNamespaceSelector"`
	RuleSelector                    *metav1.LabelSelector `json:"ruleSelector"`
	RuleNamespaceSelector           *metav1.LabelSelector `json:"ruleNamespaceSelector"`
	IgnoreNamespaceSelectors        bool                  `json:"ignoreNamespaceSelectors"`

	Retention                            string                      `json:"retention"`
	RetentionSize                        string                      `json:"retentionSize"`
	StorageSpec                          storageSpec                 `json:"storageSpec"`
	PersistentVolumeClaimRetentionPolicy pvcRetentionPolicy          `json:"persistentVolumeClaimRetentionPolicy"`
	AdditionalScrapeConfigs              []scrapeConfig              `json:"additionalScrapeConfigs"`
	Resources                            corev1.ResourceRequirements `json:"resources"`
	SecurityContext                      *corev1.PodSecurityContext  `json:"securityContext"`
	PodMetadata                          podMetadata                 `json:"podMetadata"`
}

type storageSpec struct {
	VolumeClaimTemplate volumeClaimTemplate `json:"volumeClaimTemplate"`
}

type volumeClaimTemplate struct {
	Spec corev1.PersistentVolumeClaimSpec `json:"spec"`
}

type pvcRetentionPolicy struct {
	WhenDeleted string `json:"whenDeleted"`
	WhenScaled  string `json:"whenScaled"`
}

type alertmanagerValues struct {
	Enabled          bool                 `json:"enabled"`
	ServiceAccount   serviceAccountValues `json:"serviceAccount"`
	AlertmanagerSpec alertmanagerSpec     `json:"alertmanagerSpec"`
}

type alertmanagerSpec struct {
	AlertmanagerConfigSelector          *metav1.LabelSelector       `json:"alertmanagerConfigSelector"`
	AlertmanagerConfigNamespaceSelector *metav1.LabelSelector       `json:"alertmanagerConfigNamespaceSelector"`
	AlertmanagerConfigMatcherStrategy   matcherStrategy             `json:"alertmanagerConfigMatcherStrategy"`
	Resources                           corev1.ResourceRequirements `json:"resources"`
	SecurityContext                     *corev1.PodSecurityContext  `json:"securityContext"`
	PodMetadata                         podMetadata                 `json:"podMetadata"`
}

// matcherStrategy None: the operator would otherwise add namespace=<host namespace> to every
// route of the tenant's AlertmanagerConfig, and the tenant's alerts carry the namespaces of its
// virtual cluster. The Alertmanager reads only the tenant's AlertmanagerConfig anyway.
type matcherStrategy struct {
	Type string `json:"type"`
}

type grafanaValues struct {
	Enabled                  bool                        `json:"enabled"`
	FullnameOverride         string                      `json:"fullnameOverride"`
	DefaultDashboardsEnabled bool                        `json:"defaultDashboardsEnabled"`
	ForceDeployDashboards    bool                        `json:"forceDeployDashboards"`
	ForceDeployDatasources   bool                        `json:"forceDeployDatasources"`
	TestFramework            enabled                     `json:"testFramework"`
	RBAC                     grafanaRBAC                 `json:"rbac"`
	ServiceAccount           serviceAccountValues        `json:"serviceAccount"`
	Persistence              enabled                     `json:"persistence"`
	InitChownData            enabled                     `json:"initChownData"`
	ServiceMonitor           grafanaMonitor              `json:"serviceMonitor"`
	Sidecar                  grafanaSidecar              `json:"sidecar"`
	Resources                corev1.ResourceRequirements `json:"resources"`
	PodLabels                map[string]string           `json:"podLabels"`
	// Env and ExtraSecretMounts set the admin user and its password file, or say there is no
	// admin.
	Env                map[string]string `json:"env"`
	ExtraSecretMounts  []secretMount     `json:"extraSecretMounts,omitempty"`
	GrafanaIni         map[string]any    `json:"grafana.ini"`
	Datasources        map[string]any    `json:"datasources"`
	DashboardProviders map[string]any    `json:"dashboardProviders"`
	// DashboardsConfigMaps mounts the layer's dashboards ConfigMap for a provider (the chart's
	// dashboards value would add an init container that downloads them).
	DashboardsConfigMaps map[string]string `json:"dashboardsConfigMaps"`
	// AutomountServiceAccountToken is the pod's.
	AutomountServiceAccountToken bool `json:"automountServiceAccountToken"`
}

type grafanaRBAC struct {
	Create     bool `json:"create"`
	PspEnabled bool `json:"pspEnabled"`
}

type grafanaMonitor struct {
	Enabled bool              `json:"enabled"`
	Labels  map[string]string `json:"labels"`
}

type grafanaSidecar struct {
	Dashboards  enabled `json:"dashboards"`
	Datasources enabled `json:"datasources"`
	Alerts      enabled `json:"alerts"`
}

type secretMount struct {
	Name       string             `json:"name"`
	SecretName string             `json:"secretName"`
	MountPath  string             `json:"mountPath"`
	ReadOnly   bool               `json:"readOnly"`
	Items      []corev1.KeyToPath `json:"items"`
}

// Object names the chart gives the tenant's monitoring (fullnameOverride).
const (
	fullname        = "tenant-monitoring"
	grafanaFullname = fullname + "-grafana"
	// grafanaAdminPath is where Grafana reads its admin password from.
	grafanaAdminPath = "/etc/grafana/admin"
)

// The labels of the monitoring pods, so that a network policy can name them.
const labelWorkload = "tenantcluster.io/workload"

func workloadLabels(name string) map[string]string { return map[string]string{labelWorkload: name} }

// monitoringUID runs Prometheus and Alertmanager as the chart's default unprivileged user.
const monitoringUID int64 = 1000

func restrictedPod(uid int64) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To(uid),
		RunAsGroup:     ptr.To(uid),
		FSGroup:        ptr.To(uid),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// stackValuesFor are the chart values for the tenant; storage is Prometheus' volume (the one it
// has, when that is larger than the claim's: see keptStorage).
func stackValuesFor(t *tenant.Tenant, storage resource.Quantity, storageClass string, scrape []scrapeConfig) stackValues {
	in := t.Input.Monitoring
	nsSelector := &metav1.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: t.HostNamespace}}
	objSelector := &metav1.LabelSelector{MatchLabels: selectorLabels(t)}
	claim := corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: storage}},
	}
	if storageClass != "" {
		claim.StorageClassName = ptr.To(storageClass)
	}
	return stackValues{
		FullnameOverride: fullname,
		CommonLabels:     selectorLabels(t),
		Global:           globalValues{RBAC: rbacValues{}},
		Prometheus: prometheusValues{
			Enabled:        true,
			ServiceAccount: serviceAccountValues{Create: false, Name: federationAccount},
			PrometheusSpec: prometheusSpec{
				ServiceMonitorSelector: objSelector, ServiceMonitorNamespaceSelector: nsSelector,
				PodMonitorSelector: objSelector, PodMonitorNamespaceSelector: nsSelector,
				ProbeSelector: objSelector, ProbeNamespaceSelector: nsSelector,
				ScrapeConfigSelector: objSelector, ScrapeConfigNamespaceSelector: nsSelector,
				RuleSelector: objSelector, RuleNamespaceSelector: nsSelector,
				IgnoreNamespaceSelectors:             true,
				Retention:                            t.Monitoring.Retention,
				RetentionSize:                        retentionSize(storage),
				StorageSpec:                          storageSpec{VolumeClaimTemplate: volumeClaimTemplate{Spec: claim}},
				PersistentVolumeClaimRetentionPolicy: pvcRetentionPolicy{WhenDeleted: in.Storage.WhenDeleted, WhenScaled: "Retain"},
				AdditionalScrapeConfigs:              scrape,
				Resources:                            corev1.ResourceRequirements{Requests: in.Prometheus.Requests, Limits: in.Prometheus.Limits},
				SecurityContext:                      restrictedPod(monitoringUID),
				PodMetadata:                          podMetadata{Labels: workloadLabels("prometheus")},
			},
		},
		Alertmanager: alertmanagerValues{
			Enabled:        true,
			ServiceAccount: serviceAccountValues{Create: true},
			AlertmanagerSpec: alertmanagerSpec{
				AlertmanagerConfigSelector:          objSelector,
				AlertmanagerConfigNamespaceSelector: nsSelector,
				AlertmanagerConfigMatcherStrategy:   matcherStrategy{Type: "None"},
				Resources:                           corev1.ResourceRequirements{Requests: in.Alertmanager.Requests, Limits: in.Alertmanager.Limits},
				SecurityContext:                     restrictedPod(monitoringUID),
				PodMetadata:                         podMetadata{Labels: workloadLabels("alertmanager")},
			},
		},
		Grafana: grafanaValuesFor(t),
	}
}

// namespaceNameLabel is the label Kubernetes puts on every namespace with its name: the one
// namespace label no tenant can set on another namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// retentionSize keeps Prometheus' blocks within 85% of its volume, so that the volume never
// fills whatever the retention (Prometheus' units are powers of 1024).
func retentionSize(storage resource.Quantity) string {
	mb := storage.Value() * 85 / 100 / (1 << 20)
	return strconv.FormatInt(mb, 10) + "MB"
}
