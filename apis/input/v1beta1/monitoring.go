package v1beta1

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// The monitoring backends.
const (
	// MonitoringKubePrometheusStack installs a slim kube-prometheus-stack Release per tenant
	// into its host namespace: Prometheus, Alertmanager and Grafana, served by the cluster's
	// Prometheus operator, every selector pinned to the tenant.
	MonitoringKubePrometheusStack = "KubePrometheusStack"
	// MonitoringPrometheusFederator asks Rancher's prometheus-federator for the tenant's project
	// monitoring with a ProjectHelmChart in the registration namespace of its Rancher project.
	MonitoringPrometheusFederator = "PrometheusFederator"
)

// What a tenant's Prometheus volume becomes when the tenant is deleted.
const (
	VolumeRetain = "Retain"
	VolumeDelete = "Delete"
)

// Defaults of the monitoring settings.
const (
	DefaultMonitoringChartRepository = "https://prometheus-community.github.io/helm-charts"
	DefaultMonitoringChartName       = "kube-prometheus-stack"
	// DefaultMonitoringChartVersion is the chart the values are built and tested against
	// (test/chart renders it).
	DefaultMonitoringChartVersion = "88.5.3"
	DefaultRetention              = "10d"
	DefaultMaxRetention           = "30d"
)

// MonitoringSettings offers tenants monitoring of their own.
type MonitoringSettings struct {
	// Enabled offers spec.monitoring to tenants. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Backend is KubePrometheusStack (default: a Release per tenant in its host namespace, the
	// cluster's Prometheus operator serving it) or PrometheusFederator (a ProjectHelmChart in
	// the tenant's Rancher project; needs rancher.projects).
	// +optional
	// +kubebuilder:validation:Enum=KubePrometheusStack;PrometheusFederator
	Backend string `json:"backend,omitempty"`

	// Chart is the kube-prometheus-stack chart (KubePrometheusStack). Default:
	// https://prometheus-community.github.io/helm-charts, kube-prometheus-stack, 88.5.3.
	// +optional
	Chart Chart `json:"chart,omitempty"`

	// Federation is how each tenant's Prometheus reads its own namespace's series from the
	// cluster's Prometheus: through prometheus-auth, with its ServiceAccount's token, which
	// prometheus-auth answers with that namespace's series only.
	// +optional
	Federation MonitoringFederation `json:"federation,omitempty"`

	// Retention bounds how long a tenant's Prometheus keeps series.
	// +optional
	Retention RetentionBounds `json:"retention,omitempty"`

	// Storage is each tenant's Prometheus volume.
	// +optional
	Storage MonitoringStorage `json:"storage,omitempty"`

	// Email is the mail relay email receivers send through.
	// +optional
	Email EmailRelay `json:"email,omitempty"`

	// Prometheus, Alertmanager and Grafana are the resources of each tenant's: they run in its
	// host namespace and count against its quota. Defaults: Prometheus requests 200m CPU and
	// 512Mi, limits 1 CPU, 2Gi and 1Gi ephemeral storage (its data is on its volume);
	// Alertmanager requests 20m and 64Mi, limits 100m, 128Mi and 256Mi; Grafana requests 50m and
	// 128Mi, limits 200m, 256Mi and 512Mi. A container that states no ephemeral storage gets
	// the size profile's limit range default, which is meant for the tenant's workloads.
	// +optional
	Prometheus *Resources `json:"prometheus,omitempty"`
	// +optional
	Alertmanager *Resources `json:"alertmanager,omitempty"`
	// +optional
	Grafana *Resources `json:"grafana,omitempty"`

	// Credentials is how the receivers' credentials and the Grafana admin password (the Secret
	// keys a claim names) reach the tenant's host namespace.
	// +optional
	Credentials CredentialCopier `json:"credentials,omitempty"`
}

// MonitoringFederation is the cluster Prometheus' prometheus-auth.
type MonitoringFederation struct {
	// URL of prometheus-auth in front of the cluster's Prometheus, e.g.
	// http://access-prometheus.cattle-monitoring-system.svc:9091. Required with monitoring.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	URL string `json:"url,omitempty"`

	// CIDRs are the addresses prometheus-auth is reached at (its pods'): declared as the
	// traffic each tenant's Prometheus needs, so that the checks can hold it against the
	// tenant's network policies.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	CIDRs []string `json:"cidrs,omitempty"`
}

// RetentionBounds bound a tenant's retention.
type RetentionBounds struct {
	// Default is the retention of a claim that states none. Default: 10d.
	// +optional
	Default string `json:"default,omitempty"`
	// Max is the most a claim may ask for. Default: 30d.
	// +optional
	Max string `json:"max,omitempty"`
}

// MonitoringStorage is each tenant's Prometheus volume.
type MonitoringStorage struct {
	// Default is the size of a claim that states none. Default: 10Gi.
	// +optional
	Default *resource.Quantity `json:"default,omitempty"`
	// Max is the most a claim may ask for. Default: 50Gi.
	// +optional
	Max *resource.Quantity `json:"max,omitempty"`
	// StorageClass of the volume. Default: the cluster's default class.
	// +optional
	StorageClass string `json:"storageClass,omitempty"`
	// WhenDeleted is what becomes of the volume when the tenant or its monitoring is deleted:
	// Retain (default: the claim stays in the host namespace until the namespace goes; the
	// volume then follows its storage class' reclaim policy) or Delete.
	// +optional
	// +kubebuilder:validation:Enum=Retain;Delete
	WhenDeleted string `json:"whenDeleted,omitempty"`
}

// EmailRelay is the platform's mail relay.
type EmailRelay struct {
	// Smarthost is the relay, host:port. Without it, tenants cannot use email receivers.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Smarthost string `json:"smarthost,omitempty"`
	// From is the sender address of the alerts.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	From string `json:"from,omitempty"`
}

func (in *Input) defaultMonitoring() {
	m := &in.Monitoring
	if m.Backend == "" {
		m.Backend = MonitoringKubePrometheusStack
	}
	if m.Chart.Repository == "" {
		m.Chart.Repository = DefaultMonitoringChartRepository
	}
	if m.Chart.Name == "" {
		m.Chart.Name = DefaultMonitoringChartName
	}
	if m.Chart.Version == "" {
		m.Chart.Version = DefaultMonitoringChartVersion
	}
	if m.Retention.Default == "" {
		m.Retention.Default = DefaultRetention
	}
	if m.Retention.Max == "" {
		m.Retention.Max = DefaultMaxRetention
	}
	if m.Storage.Default == nil {
		q := resource.MustParse("10Gi")
		m.Storage.Default = &q
	}
	if m.Storage.Max == nil {
		q := resource.MustParse("50Gi")
		m.Storage.Max = &q
	}
	if m.Storage.WhenDeleted == "" {
		m.Storage.WhenDeleted = VolumeRetain
	}
	if m.Prometheus == nil {
		m.Prometheus = &Resources{Requests: list("cpu", "200m", "memory", "512Mi"), Limits: list("cpu", "1", "memory", "2Gi", "ephemeral-storage", "1Gi")}
	}
	if m.Alertmanager == nil {
		m.Alertmanager = &Resources{Requests: list("cpu", "20m", "memory", "64Mi"), Limits: list("cpu", "100m", "memory", "128Mi", "ephemeral-storage", "256Mi")}
	}
	if m.Grafana == nil {
		m.Grafana = &Resources{Requests: list("cpu", "50m", "memory", "128Mi"), Limits: list("cpu", "200m", "memory", "256Mi", "ephemeral-storage", "512Mi")}
	}
	m.Credentials.defaults()
}

// retentionPattern is Prometheus' retention as a claim may state it.
var retentionPattern = regexp.MustCompile(`^([1-9][0-9]{0,3})(h|d|w)$`)

// ParseRetention reads a retention (10d, 12h, 2w) as a duration.
func ParseRetention(s string) (time.Duration, bool) {
	m := retentionPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, true
}

func (in *Input) validateMonitoring() error {
	m := in.Monitoring
	if m.Backend != MonitoringKubePrometheusStack && m.Backend != MonitoringPrometheusFederator {
		return fmt.Errorf("input monitoring.backend %q must be %s or %s", m.Backend, MonitoringKubePrometheusStack, MonitoringPrometheusFederator)
	}
	if strings.HasPrefix(m.Chart.Version, "v") {
		return fmt.Errorf("input monitoring.chart.version %q must be an exact chart version without a leading \"v\", e.g. %s", m.Chart.Version, DefaultMonitoringChartVersion)
	}
	def, ok := ParseRetention(m.Retention.Default)
	if !ok {
		return fmt.Errorf("input monitoring.retention.default %q must be a whole number of hours, days or weeks, e.g. %s", m.Retention.Default, DefaultRetention)
	}
	maxRetention, ok := ParseRetention(m.Retention.Max)
	if !ok {
		return fmt.Errorf("input monitoring.retention.max %q must be a whole number of hours, days or weeks, e.g. %s", m.Retention.Max, DefaultMaxRetention)
	}
	if def > maxRetention {
		return fmt.Errorf("input monitoring.retention.default %s is above monitoring.retention.max %s", m.Retention.Default, m.Retention.Max)
	}
	if m.Storage.Default.Sign() <= 0 || m.Storage.Default.Cmp(*m.Storage.Max) > 0 {
		return fmt.Errorf("input monitoring.storage.default %s must be more than zero and at most monitoring.storage.max %s", m.Storage.Default, m.Storage.Max)
	}
	if m.Storage.WhenDeleted != VolumeRetain && m.Storage.WhenDeleted != VolumeDelete {
		return fmt.Errorf("input monitoring.storage.whenDeleted %q must be %s or %s", m.Storage.WhenDeleted, VolumeRetain, VolumeDelete)
	}
	if m.Enabled {
		u, err := url.Parse(m.Federation.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" {
			return fmt.Errorf("input monitoring.federation.url %q must be the http(s) address of the cluster Prometheus' prometheus-auth, e.g. http://access-prometheus.cattle-monitoring-system.svc:9091", m.Federation.URL)
		}
		if m.Backend == MonitoringPrometheusFederator && !in.Rancher.Enabled {
			return fmt.Errorf("input monitoring.backend %s needs Rancher (rancher.enabled) and its projects: prometheus-federator serves a Rancher project", m.Backend)
		}
	}
	if err := validateCIDRs("monitoring.federation.cidrs", m.Federation.CIDRs); err != nil {
		return err
	}
	return m.Credentials.validate("monitoring.credentials")
}
