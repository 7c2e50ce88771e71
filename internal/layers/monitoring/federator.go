package monitoring

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The PrometheusFederator backend: Rancher's prometheus-federator deploys a project's
// monitoring (its rancher-project-monitoring chart, a kube-prometheus-stack served by the
// cluster's operator, federating from the cluster Prometheus through prometheus-auth) for each
// ProjectHelmChart in a project's registration namespace, cattle-project-<project>. Its
// workloads run in the project's release namespace, cattle-project-<project>-monitoring, not in
// the tenant's host namespace, so the layer declares none for this backend.
//
// A project can hold other namespaces than the tenant's (an existing project the platform lets
// several claims join): projectNamespaceSelector narrows the monitoring to the host namespace,
// so that it never sees another namespace of the project.

const (
	// federatorAPIVersion is the ProjectHelmChart's spec.helmApiVersion that
	// prometheus-federator serves.
	federatorAPIVersion  = "monitoring.cattle.io/v1alpha1"
	projectHelmChartName = "tenant-monitoring"
)

// registrationNamespace is the project's registration namespace that prometheus-federator
// watches.
func registrationNamespace(t *tenant.Tenant) string {
	_, project, _ := strings.Cut(t.Rancher.ProjectID, ":")
	return "cattle-project-" + project
}

// projectHelmChart is the ProjectHelmChart with the same intent as the Release's values:
// retention, storage, resources, Grafana without anonymous admin.
func projectHelmChart(t *tenant.Tenant, observed compose.Observed) (map[string]any, error) {
	v, err := federatorValues(t, observed)
	if err != nil {
		return nil, err
	}
	values, err := compose.ToMap(v)
	if err != nil {
		return nil, fmt.Errorf("cannot render the project monitoring values: %w", err)
	}
	manifest := map[string]any{
		"apiVersion": "helm.cattle.io/v1alpha1",
		"kind":       "ProjectHelmChart",
		"metadata":   map[string]any{"name": projectHelmChartName, "namespace": registrationNamespace(t), "labels": t.Labels()},
		"spec": map[string]any{
			"helmApiVersion": federatorAPIVersion,
			"projectNamespaceSelector": map[string]any{
				"matchLabels": map[string]any{namespaceNameLabel: t.HostNamespace},
			},
			"values": values,
		},
	}
	return compose.Object(t, "monitoring", t.Input.Targets.Host.KubernetesProviderConfig, manifest, compose.CelReadiness(federatorReadiness)), nil
}

// federatorReadiness: prometheus-federator reports the chart Deployed once its release is.
const federatorReadiness = `has(object.status) && has(object.status.status) && object.status.status == "Deployed"`

// federatorState reads the observed ProjectHelmChart as a release: Deployed, a failure
// (prometheus-federator's statuses that say it cannot go on), or pending.
func federatorState(u *composed.Unstructured) compose.Release {
	if u == nil {
		return compose.Release{}
	}
	m := compose.ObservedManifest(u)
	status := compose.ManifestString(m, "status", "status")
	r := compose.Release{Seen: true, State: strings.ToLower(status), Message: compose.ManifestString(m, "status", "statusMessage")}
	switch {
	case status == "Deployed":
		r.Ready, r.State = compose.IsReady(u), "deployed"
	case strings.HasPrefix(status, "Unable") || strings.Contains(status, "Error"):
		r.State = "failed"
	}
	return r
}

func federatorReady(u *composed.Unstructured) bool { return federatorState(u).Ready }

// federatorChartValues are the values of prometheus-federator's rancher-project-monitoring
// chart (a kube-prometheus-stack of the same shape) the tenant's claim decides: retention,
// storage, resources. The chart pins its selectors to the project's namespaces itself.
type federatorChartValues struct {
	Prometheus struct {
		PrometheusSpec federatorPrometheusSpec `json:"prometheusSpec"`
	} `json:"prometheus"`
	Alertmanager struct {
		AlertmanagerSpec struct {
			Resources corev1.ResourceRequirements `json:"resources"`
		} `json:"alertmanagerSpec"`
	} `json:"alertmanager"`
	Grafana struct {
		Resources corev1.ResourceRequirements `json:"resources"`
	} `json:"grafana"`
}

type federatorPrometheusSpec struct {
	Retention                            string                      `json:"retention"`
	RetentionSize                        string                      `json:"retentionSize"`
	StorageSpec                          storageSpec                 `json:"storageSpec"`
	PersistentVolumeClaimRetentionPolicy pvcRetentionPolicy          `json:"persistentVolumeClaimRetentionPolicy"`
	Resources                            corev1.ResourceRequirements `json:"resources"`
}

func federatorValues(t *tenant.Tenant, observed compose.Observed) (federatorChartValues, error) {
	in := t.Input.Monitoring
	storage := t.Monitoring.Storage.DeepCopy()
	// The stack's values and these share the volume's keys: keep a larger volume the same way.
	if u := observed.Get(ResourceRelease); u != nil {
		had := compose.ObservedManifest(u)
		if size := compose.ManifestString(had, "spec", "values", "prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage"); size != "" {
			if q, err := resource.ParseQuantity(size); err == nil && q.Cmp(storage) > 0 {
				storage = q
			}
		}
	}
	stack := stackValuesFor(t, storage, in.Storage.StorageClass, nil)
	var v federatorChartValues
	p := stack.Prometheus.PrometheusSpec
	v.Prometheus.PrometheusSpec = federatorPrometheusSpec{
		Retention: p.Retention, RetentionSize: p.RetentionSize, StorageSpec: p.StorageSpec,
		PersistentVolumeClaimRetentionPolicy: p.PersistentVolumeClaimRetentionPolicy, Resources: p.Resources,
	}
	v.Alertmanager.AlertmanagerSpec.Resources = stack.Alertmanager.AlertmanagerSpec.Resources
	v.Grafana.Resources = stack.Grafana.Resources
	return v, nil
}
