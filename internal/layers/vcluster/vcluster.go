// Package vcluster is the vcluster layer: the provider-helm Release of the vcluster chart in the
// tenant's host namespace, with the values that isolate the tenant (quota, limit range, network
// policies, Pod Security inside and outside the virtual cluster), its exposure and the export
// of its kubeconfig, and the declaration of what the chart runs there.
package vcluster

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Condition and reasons of the vcluster layer.
const (
	ConditionVClusterReady = "VClusterReady"

	ReasonReleasePending    = "ReleasePending"
	ReasonReleaseFailed     = "ReleaseFailed"
	ReasonKubeconfigPending = "KubeconfigPending"
	ReasonAvailable         = "Available"
)

// connectionDetailsError starts provider-helm's error when it cannot read a Release's
// connection details: for the vcluster, the kubeconfig Secrets the syncer has not written yet.
const connectionDetailsError = "cannot get connection details"

// nonRootUID runs the virtual cluster's pods as a fixed unprivileged user; the chart's default
// runs the control plane as root, which the Pod Security Standard "restricted" refuses.
const nonRootUID int64 = 12345

// KubeconfigExported reports whether the observed Release has copied the virtual cluster's
// kubeconfig into its connection secret: the pipeline makes it a fact of the tenant model
// (tenant.SetKubeconfigExported) before any layer runs.
func KubeconfigExported(observed compose.Observed) bool {
	return observedRelease(observed.Get(compose.ResourceVCluster)).available()
}

// Layer composes the Helm Release of the vcluster chart in the tenant's host namespace.
func Layer(t *tenant.Tenant, observed compose.Observed) (layer.Output, error) {
	kept := keptDataVolume(observed.Get(compose.ResourceVCluster), t.BackingStore)
	vv, err := chartValues(t, kept)
	if err != nil {
		return layer.Output{}, fmt.Errorf("cannot render the vcluster values: %w", err)
	}
	values, err := compose.ToMap(vv)
	if err != nil {
		return layer.Output{}, fmt.Errorf("cannot render the vcluster values: %w", err)
	}
	chart := t.Input.VCluster.Chart
	release := compose.HelmRelease(t, "vcluster", t.ReleaseName, chart, values)
	compose.SetSpec(release, "connectionDetails", releaseConnectionDetails(t))
	compose.SetSpec(release, "writeConnectionSecretToRef", writeConnectionSecretToRef(t))

	obs := observedRelease(observed.Get(compose.ResourceVCluster))
	status := v1alpha1.VClusterStatus{
		Namespace:         t.HostNamespace,
		Release:           t.ReleaseName,
		Endpoint:          t.InternalEndpoint(),
		InternalEndpoint:  t.InternalEndpoint(),
		KubernetesVersion: t.KubernetesVersion,
		ChartVersion:      chart.Version,
		Revision:          obs.Revision,
		BackingStore:      t.BackingStore,
	}
	if t.Exposure.Exposed() {
		status.Endpoint = t.ExternalEndpoint()
	}
	if status.Revision == 0 && t.ObservedStatus.VCluster != nil {
		// Keep the last known revision while the Release is not observed (for example on the run
		// right after the function was upgraded).
		status.Revision = t.ObservedStatus.VCluster.Revision
	}
	return layer.Output{
		Resources:  []compose.Desired{{Name: compose.ResourceVCluster, Object: release, Ready: obs.available()}},
		Conditions: []compose.Condition{obs.condition(t)},
		Status: func(s *v1alpha1.TenantClusterStatus) {
			s.VCluster = &status
			if t.Scope == tenant.ScopeNamespaced {
				ref := t.ConnectionSecretRef()
				s.KubeconfigSecretRef = &ref
			}
		},
		// The Release before its Namespace.
		Dependencies:      []compose.Dependency{{By: compose.ResourceVCluster, Of: compose.ResourceNamespace}},
		Workloads:         workloads(t, vv),
		Rules:             hostRules(t, vv),
		ConnectionDetails: xrConnectionDetails(t, observed),
	}, nil
}

// chartValues are the chart values for this tenant; kept is the data volume of a virtual cluster
// that exists (keptDataVolume), nil for a new one.
func chartValues(t *tenant.Tenant, kept *dataVolume) (vclusterValues, error) {
	restricted := restrictedSecurity()
	size := t.Size
	persistence := persistenceValues{VolumeClaim: volumeClaimValues{
		StorageClass:    size.Persistence.StorageClass,
		RetentionPolicy: size.Persistence.RetentionPolicy,
	}}
	if size.Persistence.Size != nil {
		persistence.VolumeClaim.Size = size.Persistence.Size.String()
	}
	if kept != nil {
		persistence.VolumeClaim.Size, persistence.VolumeClaim.StorageClass = kept.size, kept.storageClass
	}
	// The virtual API server reads its Pod Security admission configuration from a ConfigMap
	// the chart renders beside it.
	podSecurity, err := podSecurityManifests(t)
	if err != nil {
		return vclusterValues{}, err
	}
	controlPlanePersistence := persistence
	controlPlanePersistence.AddVolumes = []corev1.Volume{{
		Name: podSecurityVolume,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: podSecurityConfigMapName(t)},
		}},
	}}
	controlPlanePersistence.AddVolumeMounts = []corev1.VolumeMount{{Name: podSecurityVolume, MountPath: podSecurityMountPath, ReadOnly: true}}
	scheduling := schedulingFor(t, chartLabelControlPlane)
	cp := controlPlaneValues{
		Distro: distroValues{K8s: k8sDistroValues{
			Enabled: true, Image: imageValues{Tag: t.ImageTag},
			// The chart takes the init container's security context from here, not from
			// statefulSet.security: without it the pod fails "restricted".
			SecurityContext: restricted.ContainerSecurityContext,
			APIServer: apiServerValues{ExtraArgs: []string{
				"--admission-control-config-file=" + podSecurityMountPath + "/" + podSecurityFile,
			}},
		}},
		StatefulSet: statefulSetValues{
			HighAvailability: highAvailabilityValues{Replicas: size.Replicas},
			Resources:        &resourcesValues{Requests: size.ControlPlane.Requests, Limits: size.ControlPlane.Limits},
			Scheduling:       scheduling,
			// Whatever level the tenant asked for, the control plane itself always meets
			// "restricted": it runs in the host namespace under the tenant's level.
			Security:    restricted,
			Persistence: controlPlanePersistence,
		},
		CoreDNS: coreDNSValues{Security: coreDNSSecurity()},
		Proxy:   proxyValues{ExtraSANs: extraSANs(t)},
	}
	switch t.BackingStore {
	case tenant.BackingStoreEtcd:
		cp.BackingStore = &backingStoreValues{Etcd: etcdValues{Deploy: &etcdDeployValues{
			Enabled: true,
			StatefulSet: statefulSetValues{
				HighAvailability: highAvailabilityValues{Replicas: size.Replicas},
				Scheduling:       schedulingFor(t, chartLabelEtcd),
				Security:         restricted,
				Persistence:      persistence,
			},
		}}}
	case tenant.BackingStoreEmbeddedEtcd:
		cp.BackingStore = &backingStoreValues{Etcd: etcdValues{Embedded: &enabledValues{Enabled: true}}}
	}
	exposureValues(t, &cp)
	return vclusterValues{
		ControlPlane:     cp,
		Policies:         policies(t),
		ExportKubeConfig: exportKubeConfig(t),
		Experimental:     experimentalValues{Deploy: experimentalDeployValues{Host: experimentalDeployHostValues{Manifests: podSecurity}}},
	}, nil
}

// The app label the chart gives the control plane's pods and the deployed etcd's.
const (
	chartLabelControlPlane = "vcluster"
	chartLabelEtcd         = "vcluster-etcd"
)

// schedulingFor places one of the chart's workloads (by its app label) as the size profile says.
// Replicas of a highly available profile that states no affinity of its own are spread over
// nodes: each workload's pods prefer nodes without another pod of the same workload of the same
// virtual cluster (a selector on its own labels; one shared selector would miss etcd's pods).
func schedulingFor(t *tenant.Tenant, app string) *schedulingValues {
	s := t.Size.Scheduling
	spread := t.Size.Replicas > 1 && (s == nil || s.Affinity == nil)
	if s == nil && !spread {
		return nil
	}
	out := &schedulingValues{}
	if s != nil {
		out = &schedulingValues{NodeSelector: s.NodeSelector, Affinity: s.Affinity, Tolerations: s.Tolerations, PriorityClassName: s.PriorityClassName}
	}
	if spread {
		out.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100,
				PodAffinityTerm: corev1.PodAffinityTerm{
					TopologyKey:   corev1.LabelHostname,
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app, "release": t.ReleaseName}},
				},
			}},
		}}
	}
	return out
}

// restrictedSecurity are pod and container security contexts that meet the Pod Security
// Standard "restricted".
func restrictedSecurity() securityValues {
	return securityValues{
		// Stated for the pod as well as for each container, so that a container the chart
		// adds without a security context of its own still runs as non-root.
		PodSecurityContext: &corev1.PodSecurityContext{
			RunAsUser:      ptr.To(nonRootUID),
			RunAsGroup:     ptr.To(nonRootUID),
			RunAsNonRoot:   ptr.To(true),
			FSGroup:        ptr.To(nonRootUID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		ContainerSecurityContext: &corev1.SecurityContext{
			RunAsUser:                ptr.To(nonRootUID),
			RunAsGroup:               ptr.To(nonRootUID),
			RunAsNonRoot:             ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// coreDNSSecurity is "restricted" as for the control plane, keeping the read-only root file
// system that vcluster's CoreDNS manifest sets when no security context is given
// (pkg/coredns/template.go): setting one replaces vcluster's whole default.
func coreDNSSecurity() securityValues {
	s := restrictedSecurity()
	s.ContainerSecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
	return s
}

// releaseObservation is what the function reads from the observed Release.
type releaseObservation struct {
	compose.Release
	// kubeconfigMissing: provider-helm could not read the kubeconfig Secrets.
	kubeconfigMissing bool
}

func observedRelease(u *composed.Unstructured) releaseObservation {
	if u == nil {
		return releaseObservation{}
	}
	o := releaseObservation{Release: compose.ObserveRelease(u)}
	// provider-helm sets Ready only once the release is deployed, matches the desired spec, and
	// its connection details (the kubeconfigs) were read.
	if synced, message, _ := compose.ManifestCondition(u.Object, "Synced"); synced == string(corev1.ConditionFalse) {
		o.kubeconfigMissing = strings.Contains(message, connectionDetailsError)
		if o.Message == "" || o.kubeconfigMissing {
			o.Message = message
		}
	}
	return o
}

// available reports whether the virtual cluster is deployed and its kubeconfig exported. A
// kubeconfig that disappears later makes provider-helm fail its sync while Ready stays True
// from before: that is not available.
func (o releaseObservation) available() bool {
	return o.Ready && !o.kubeconfigMissing
}

func (o releaseObservation) condition(t *tenant.Tenant) compose.Condition {
	c := compose.Condition{Type: ConditionVClusterReady}
	switch {
	case o.available():
		c.Status, c.Reason = true, ReasonAvailable
		c.Message = "the vcluster is deployed and its kubeconfig is exported"
	case o.State == "failed":
		c.Reason, c.Failed = ReasonReleaseFailed, true
		c.Message = "the vcluster release failed: " + o.Message + o.retries(t)
	case o.State == "deployed" && o.kubeconfigMissing:
		c.Reason = ReasonKubeconfigPending
		c.Message = fmt.Sprintf("the vcluster is deployed; waiting for it to export its kubeconfig to Secret %s in namespace %s",
			kubeconfigSecrets(t)[0].values.Name, t.HostNamespace)
	case !o.Seen:
		c.Reason = ReasonReleasePending
		c.Message = "the vcluster release is being created"
	default:
		c.Reason = ReasonReleasePending
		c.Message = "the vcluster release is not deployed yet"
		if o.State != "" {
			c.Message += " (Helm state " + o.State + ")"
		}
		if o.Message != "" {
			c.Message += ": " + o.Message
		}
		if strings.HasPrefix(o.State, "pending-") {
			c.Message += o.retries(t)
		}
	}
	return c
}

// retries says what provider-helm does about a failed or pending release: roll it back and try
// again, up to the input's limit, then wait for a change.
func (o releaseObservation) retries(t *tenant.Tenant) string {
	limit := t.Input.VCluster.RollbackLimit
	if o.Rollbacks >= limit {
		return fmt.Sprintf("; provider-helm rolled it back %d times, its limit (input vcluster.rollbackLimit), and retries only after a change: docs/operating.md says how to recover", o.Rollbacks)
	}
	return fmt.Sprintf("; provider-helm rolls it back and tries again (%d of %d rollbacks so far)", o.Rollbacks, limit)
}
