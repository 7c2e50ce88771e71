package logging

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The aggregator the logging-operator runs for the tenant's Logging, in the tenant's host
// namespace: a fluentd StatefulSet of one replica with its config-reloader, a buffer volume, and
// its Services. The operator, not the function, writes its pods (the operator's own module is
// not served here, only its API types): what is declared is what the Logging asks of them. The
// images are the operator's defaults, at the operator's version (only their repositories are
// stated).
const (
	fluentdImage        = "ghcr.io/kube-logging/logging-operator/fluentd"
	configReloaderImage = "ghcr.io/kube-logging/logging-operator/config-reloader"
	// fluentdUID is the fluent user of the operator's fluentd image.
	fluentdUID int64 = 100
	fluentdGID int64 = 101
)

// aggregatorLabels go on the aggregator's pods (the Logging's fluentd.labels, which the operator
// puts on them), so that the declared workload names the pods the network policies would select.
func aggregatorLabels() map[string]string {
	return map[string]string{"tenantcluster.io/workload": "log-aggregator"}
}

// aggregatorPodSecurity and aggregatorContainerSecurity meet the Pod Security Standard
// "restricted", so that the aggregator runs under any level a tenant's host namespace enforces.
func aggregatorPodSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To(fluentdUID),
		RunAsGroup:     ptr.To(fluentdGID),
		FSGroup:        ptr.To(fluentdGID),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func aggregatorContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// aggregatorWorkloads declares the tenant's aggregator. It sends to the claim's outputs; those
// are host names, which a NetworkPolicy cannot name, and no policy of the tenant's selects the
// aggregator's pod (vcluster's policies select the pods it syncs and its control plane): the
// function's network check judges synced pods only, and test/chart evaluates the real chart's
// policies for the aggregator's labels.
func aggregatorWorkloads(t *tenant.Tenant) []layer.Workload {
	agg := t.Input.Logging.Aggregator
	egress := make([]layer.Traffic, 0, len(t.Logging.Outputs))
	for _, o := range t.Logging.Outputs {
		egress = append(egress, layer.Traffic{Protocol: corev1.ProtocolTCP, Why: "the tenant's " + o.Type + " output " + o.Name + " at " + o.Host})
	}
	return []layer.Workload{{
		Name:     "log aggregator",
		Replicas: 1,
		Labels:   aggregatorLabels(),
		Pod: corev1.PodSpec{
			SecurityContext: aggregatorPodSecurity(),
			Containers: []corev1.Container{
				{
					Name: "fluentd", Image: fluentdImage,
					Resources:       corev1.ResourceRequirements{Requests: agg.Resources.Requests, Limits: agg.Resources.Limits},
					SecurityContext: aggregatorContainerSecurity(),
				},
				{Name: "config-reloader", Image: configReloaderImage, SecurityContext: aggregatorContainerSecurity()},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}},
				{Name: "app-config", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
		Claims: []resource.Quantity{agg.BufferVolumeSize.DeepCopy()},
		Services: []layer.ServiceCount{
			{Type: corev1.ServiceTypeClusterIP, Ports: 1},
			{Type: corev1.ServiceTypeClusterIP, Ports: 1}, // headless
		},
		Egress: egress,
	}}
}
