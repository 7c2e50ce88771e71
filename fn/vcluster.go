package fn

import (
	"encoding/json"
	"fmt"
	"strings"

	helmv1beta1 "github.com/crossplane-contrib/provider-helm/apis/cluster/release/v1beta1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// resourceVCluster is the pipeline name of the vcluster Helm Release.
const resourceVCluster resource.Name = "vcluster"

// Condition and reasons of the vcluster layer.
const (
	conditionVClusterReady = "VClusterReady"

	reasonReleasePending    = "ReleasePending"
	reasonReleaseFailed     = "ReleaseFailed"
	reasonKubeconfigPending = "KubeconfigPending"
	reasonAvailable         = "Available"
)

// connectionDetailsError starts provider-helm's error when it cannot read a Release's
// connection details: for the vcluster, the kubeconfig Secrets the syncer has not written yet.
const connectionDetailsError = "cannot get connection details"

// nonRootUID runs the virtual cluster's pods as a fixed unprivileged user; the chart's default
// runs the control plane as root, which the Pod Security Standard "restricted" refuses.
const nonRootUID int64 = 12345

// The backing stores of a virtual cluster.
const (
	backingStoreEmbedded     = "sqlite"
	backingStoreEtcd         = "etcd"
	backingStoreEmbeddedEtcd = "embedded-etcd"
)

// vclusterOutput is what the vcluster layer returns: its Release, its condition and its part of
// the XR status.
type vclusterOutput struct {
	release   desiredResource
	condition layerCondition
	status    v1alpha1.VClusterStatus
	// kubeconfigExported is true once the Release has copied the virtual cluster's kubeconfig
	// into its connection secret.
	kubeconfigExported bool
}

// vclusterLayer composes the Helm Release of the vcluster chart in the tenant's host namespace.
func vclusterLayer(t *tenant, observed observedState) (vclusterOutput, error) {
	t.keptVolume = keptDataVolume(observed.get(resourceVCluster), t.backingStore)
	vv, err := t.vclusterValues()
	if err != nil {
		return vclusterOutput{}, fmt.Errorf("cannot render the vcluster values: %w", err)
	}
	values, err := toMap(vv)
	if err != nil {
		return vclusterOutput{}, fmt.Errorf("cannot render the vcluster values: %w", err)
	}
	chart := t.input.VCluster.Chart
	release := map[string]any{
		"apiVersion": t.scope.releaseAPIVersion(),
		"kind":       "Release",
		"metadata":   t.composedMeta("vcluster"),
		"spec": map[string]any{
			"providerConfigRef": t.scope.providerConfigRef(t.input.Targets.Host.HelmProviderConfig),
			"forProvider": map[string]any{
				"chart": map[string]any{
					"repository": chart.Repository,
					"name":       chart.Name,
					"version":    chart.Version,
				},
				"namespace": t.hostNamespace,
				// The Namespace layer owns the namespace, with its labels; Helm must not create
				// a bare one first.
				"skipCreateNamespace": true,
				"maxHistory":          int64(t.input.VCluster.MaxHistory),
				"values":              values,
			},
			// provider-helm (v1.3.0) retries a failed or pending release only with a rollback
			// limit: it rolls back (a first install: uninstalls) and deploys again.
			"rollbackLimit":              int64(t.input.VCluster.RollbackLimit),
			"connectionDetails":          t.releaseConnectionDetails(),
			"writeConnectionSecretToRef": t.writeConnectionSecretToRef(),
		},
	}
	// Helm's own release name is the Release's external name.
	setAnnotation(release, "crossplane.io/external-name", t.releaseName)

	obs := observedRelease(observed.get(resourceVCluster))
	out := vclusterOutput{
		release: desiredResource{name: resourceVCluster, object: release, ready: obs.available()},
		status: v1alpha1.VClusterStatus{
			Namespace:         t.hostNamespace,
			Release:           t.releaseName,
			Endpoint:          t.internalEndpoint(),
			InternalEndpoint:  t.internalEndpoint(),
			KubernetesVersion: t.kubernetesVersion,
			ChartVersion:      chart.Version,
			Revision:          obs.revision,
			BackingStore:      t.backingStore,
		},
		condition:          obs.condition(t),
		kubeconfigExported: obs.available(),
	}
	if t.exposure.exposed() {
		out.status.Endpoint = t.externalEndpoint()
	}
	if out.status.Revision == 0 && t.observedStatus.VCluster != nil {
		// Keep the last known revision while the Release is not observed (for example on the run
		// right after the function was upgraded).
		out.status.Revision = t.observedStatus.VCluster.Revision
	}
	return out, nil
}

// resolveBackingStore picks where the virtual cluster keeps its data: the chart's embedded
// database for one replica, etcd for several (embedded etcd needs vCluster Pro). Once a virtual
// cluster exists its backing store is a fact kept in the XR status, and a size that needs a
// different one is refused: switching would start the virtual cluster empty.
func (t *tenant) resolveBackingStore() error {
	want := backingStoreEmbedded
	if t.size.Replicas > 1 {
		want = backingStoreEtcd
		if t.input.VCluster.AllowPro {
			want = backingStoreEmbeddedEtcd
		}
	}
	have := ""
	if t.observedStatus.VCluster != nil {
		have = t.observedStatus.VCluster.BackingStore
	}
	switch {
	case have == "" || have == want:
		t.backingStore = want
	case have != backingStoreEmbedded && want != backingStoreEmbedded:
		// Both etcd: the platform changed vcluster.allowPro. Existing tenants keep theirs.
		t.backingStore = have
		if have == backingStoreEmbeddedEtcd && !t.input.VCluster.AllowPro {
			return fmt.Errorf("this virtual cluster keeps its data in embedded etcd, a vCluster Pro feature the platform no longer allows (input vcluster.allowPro)")
		}
	default:
		return &fieldError{field: "size", message: fmt.Sprintf(
			"size %q runs %s on %s, but this virtual cluster keeps its data in %s, which cannot change without losing it; choose a size with %s",
			t.sizeName, replicasText(t.size.Replicas), want, have, map[bool]string{true: "one replica", false: "more than one replica"}[have == backingStoreEmbedded])}
	}
	return nil
}

// vclusterValues are the chart values for this tenant.
func (t *tenant) vclusterValues() (vclusterValues, error) {
	restricted := restrictedSecurity()
	size := t.size
	persistence := persistenceValues{VolumeClaim: volumeClaimValues{
		StorageClass:    size.Persistence.StorageClass,
		RetentionPolicy: size.Persistence.RetentionPolicy,
	}}
	if size.Persistence.Size != nil {
		persistence.VolumeClaim.Size = size.Persistence.Size.String()
	}
	if t.keptVolume != nil {
		persistence.VolumeClaim.Size, persistence.VolumeClaim.StorageClass = t.keptVolume.size, t.keptVolume.storageClass
	}
	// The virtual API server reads its Pod Security admission configuration from a ConfigMap
	// the chart renders beside it.
	podSecurity, err := t.podSecurityManifests()
	if err != nil {
		return vclusterValues{}, err
	}
	controlPlanePersistence := persistence
	controlPlanePersistence.AddVolumes = []corev1.Volume{{
		Name: podSecurityVolume,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: t.podSecurityConfigMapName()},
		}},
	}}
	controlPlanePersistence.AddVolumeMounts = []corev1.VolumeMount{{Name: podSecurityVolume, MountPath: podSecurityMountPath, ReadOnly: true}}
	scheduling := t.scheduling(chartLabelControlPlane)
	cp := controlPlaneValues{
		Distro: distroValues{K8s: k8sDistroValues{
			Enabled: true, Image: imageValues{Tag: t.imageTag},
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
		Proxy:   proxyValues{ExtraSANs: t.extraSANs()},
	}
	switch t.backingStore {
	case backingStoreEtcd:
		cp.BackingStore = &backingStoreValues{Etcd: etcdValues{Deploy: &etcdDeployValues{
			Enabled: true,
			StatefulSet: statefulSetValues{
				HighAvailability: highAvailabilityValues{Replicas: size.Replicas},
				Scheduling:       t.scheduling(chartLabelEtcd),
				Security:         restricted,
				Persistence:      persistence,
			},
		}}}
	case backingStoreEmbeddedEtcd:
		cp.BackingStore = &backingStoreValues{Etcd: etcdValues{Embedded: &enabledValues{Enabled: true}}}
	}
	t.exposureValues(&cp)
	return vclusterValues{
		ControlPlane:     cp,
		Policies:         t.policiesValues(),
		ExportKubeConfig: t.exportKubeConfigValues(),
		Experimental:     experimentalValues{Deploy: experimentalDeployValues{Host: experimentalDeployHostValues{Manifests: podSecurity}}},
	}, nil
}

// The app label the chart gives the control plane's pods and the deployed etcd's.
const (
	chartLabelControlPlane = "vcluster"
	chartLabelEtcd         = "vcluster-etcd"
)

// scheduling places one of the chart's workloads (by its app label) as the size profile says.
// Replicas of a highly available profile that states no affinity of its own are spread over
// nodes: each workload's pods prefer nodes without another pod of the same workload of the same
// virtual cluster (a selector on its own labels; one shared selector would miss etcd's pods).
func (t *tenant) scheduling(app string) *schedulingValues {
	s := t.size.Scheduling
	spread := t.size.Replicas > 1 && (s == nil || s.Affinity == nil)
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
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app, "release": t.releaseName}},
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
	seen     bool
	ready    bool
	state    string
	message  string
	revision int64
	// rollbacks is how many times provider-helm has rolled the release back to retry it.
	rollbacks int32
	// kubeconfigMissing: provider-helm could not read the kubeconfig Secrets.
	kubeconfigMissing bool
}

func observedRelease(u *composed.Unstructured) releaseObservation {
	if u == nil {
		return releaseObservation{}
	}
	// Only the status is read (and typed): converting the whole Release, values and all, cost
	// more than everything else the layer does.
	var status helmv1beta1.ReleaseStatus
	if raw, ok := u.Object["status"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &status); err != nil {
			// An observed Release we cannot read is reported as not ready, never dropped.
			return releaseObservation{seen: true, message: "cannot read the observed Release: " + err.Error()}
		}
	}
	o := releaseObservation{
		seen:     true,
		state:    string(status.AtProvider.State),
		message:  status.AtProvider.ReleaseDescription,
		revision: int64(status.AtProvider.Revision),
		// provider-helm counts its rollbacks in status.failed and resets it once deployed.
		rollbacks: status.Failed,
	}
	// provider-helm sets Ready only once the release is deployed, matches the desired spec, and
	// its connection details (the kubeconfigs) were read; Helm's state must agree.
	o.ready = isReady(u) && o.state == "deployed"
	if synced, message, _ := manifestCondition(u.Object, "Synced"); synced == string(corev1.ConditionFalse) {
		o.kubeconfigMissing = strings.Contains(message, connectionDetailsError)
		if o.message == "" || o.kubeconfigMissing {
			o.message = message
		}
	}
	return o
}

// available reports whether the virtual cluster is deployed and its kubeconfig exported. A
// kubeconfig that disappears later makes provider-helm fail its sync while Ready stays True
// from before: that is not available.
func (o releaseObservation) available() bool {
	return o.ready && !o.kubeconfigMissing
}

func (o releaseObservation) condition(t *tenant) layerCondition {
	c := layerCondition{typ: conditionVClusterReady}
	switch {
	case o.available():
		c.status, c.reason = true, reasonAvailable
		c.message = "the vcluster is deployed and its kubeconfig is exported"
	case o.state == "failed":
		c.reason, c.failed = reasonReleaseFailed, true
		c.message = "the vcluster release failed: " + o.message + o.retries(t)
	case o.state == "deployed" && o.kubeconfigMissing:
		c.reason = reasonKubeconfigPending
		c.message = fmt.Sprintf("the vcluster is deployed; waiting for it to export its kubeconfig to Secret %s in namespace %s",
			t.kubeconfigSecrets()[0].values.Name, t.hostNamespace)
	case !o.seen:
		c.reason = reasonReleasePending
		c.message = "the vcluster release is being created"
	default:
		c.reason = reasonReleasePending
		c.message = "the vcluster release is not deployed yet"
		if o.state != "" {
			c.message += " (Helm state " + o.state + ")"
		}
		if o.message != "" {
			c.message += ": " + o.message
		}
		if strings.HasPrefix(o.state, "pending-") {
			c.message += o.retries(t)
		}
	}
	return c
}

// retries says what provider-helm does about a failed or pending release: roll it back and try
// again, up to the input's limit, then wait for a change.
func (o releaseObservation) retries(t *tenant) string {
	limit := t.input.VCluster.RollbackLimit
	if o.rollbacks >= limit {
		return fmt.Sprintf("; provider-helm rolled it back %d times, its limit (input vcluster.rollbackLimit), and retries only after a change: docs/operating.md says how to recover", o.rollbacks)
	}
	return fmt.Sprintf("; provider-helm rolls it back and tries again (%d of %d rollbacks so far)", o.rollbacks, limit)
}

// toMap turns a typed value into the map form a manifest holds.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}

func setAnnotation(obj map[string]any, key, value string) {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		meta["annotations"] = ann
	}
	ann[key] = value
}

func replicasText(n int32) string {
	if n == 1 {
		return "one control plane replica"
	}
	return fmt.Sprintf("%d control plane replicas", n)
}
