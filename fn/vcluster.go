package fn

import (
	"encoding/json"
	"fmt"

	helmv1beta1 "github.com/crossplane-contrib/provider-helm/apis/cluster/release/v1beta1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// resourceVCluster is the pipeline name of the vcluster Helm Release.
const resourceVCluster resource.Name = "vcluster"

// Condition and reasons of the vcluster layer.
const (
	conditionVClusterReady = "VClusterReady"

	reasonReleasePending  = "ReleasePending"
	reasonReleaseFailed   = "ReleaseFailed"
	reasonReleaseDeployed = "ReleaseDeployed"
)

// nonRootUID runs the virtual cluster's pods as a fixed unprivileged user; the chart's default
// runs the control plane as root, which the Pod Security Standard "restricted" refuses.
const nonRootUID int64 = 12345

// vclusterOutput is what the vcluster layer returns: its Release, its condition and its part of
// the XR status.
type vclusterOutput struct {
	release   desiredResource
	condition layerCondition
	status    v1alpha1.VClusterStatus
}

// vclusterLayer composes the Helm Release of the vcluster chart in the tenant's host namespace.
func vclusterLayer(t *tenant, observed observedState) (vclusterOutput, error) {
	values, err := toMap(t.vclusterValues())
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
		},
	}
	// Helm's own release name is the Release's external name.
	setAnnotation(release, "crossplane.io/external-name", t.releaseName)

	obs := observedRelease(observed.get(resourceVCluster))
	out := vclusterOutput{
		release: desiredResource{name: resourceVCluster, object: release, ready: obs.ready},
		status: v1alpha1.VClusterStatus{
			Namespace:         t.hostNamespace,
			Release:           t.releaseName,
			Endpoint:          fmt.Sprintf("https://%s.%s.svc:443", t.releaseName, t.hostNamespace),
			KubernetesVersion: t.kubernetesVersion,
			ChartVersion:      chart.Version,
			Revision:          obs.revision,
		},
		condition: obs.condition(),
	}
	if out.status.Revision == 0 && t.observedStatus.VCluster != nil {
		// Keep the last known revision while the Release is not observed (for example on the run
		// right after the function was upgraded).
		out.status.Revision = t.observedStatus.VCluster.Revision
	}
	return out, nil
}

// vclusterValues are the chart values for this tenant.
func (t *tenant) vclusterValues() vclusterValues {
	restricted := securityValues{
		PodSecurityContext: &corev1.PodSecurityContext{
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
	return vclusterValues{
		ControlPlane: controlPlaneValues{
			Distro: distroValues{K8s: k8sDistroValues{Enabled: true, Image: imageValues{Tag: t.imageTag}}},
			StatefulSet: statefulSetValues{
				Resources: resourcesValues{Requests: t.size.ControlPlane.Requests, Limits: t.size.ControlPlane.Limits},
				// Whatever level the tenant asked for, the control plane itself always meets
				// "restricted": it runs in the host namespace under the tenant's level.
				Security: restricted,
			},
			CoreDNS: coreDNSValues{Security: restricted},
		},
		Policies: policiesValues{PodSecurityStandard: string(t.podSecurity)},
	}
}

// releaseObservation is what the function reads from the observed Release.
type releaseObservation struct {
	seen     bool
	ready    bool
	state    string
	message  string
	revision int64
}

func observedRelease(u *composed.Unstructured) releaseObservation {
	if u == nil {
		return releaseObservation{}
	}
	var r helmv1beta1.Release
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &r); err != nil {
		// An observed Release we cannot read is reported as not ready, never dropped.
		return releaseObservation{seen: true, message: "cannot read the observed Release: " + err.Error()}
	}
	o := releaseObservation{
		seen:     true,
		state:    string(r.Status.AtProvider.State),
		message:  r.Status.AtProvider.ReleaseDescription,
		revision: int64(r.Status.AtProvider.Revision),
	}
	// Ready needs both: the provider's Ready condition (it compared the release with the desired
	// spec) and Helm's own state.
	o.ready = isReady(u) && o.state == "deployed"
	if synced := u.GetCondition("Synced"); o.message == "" && synced.Status == corev1.ConditionFalse {
		o.message = synced.Message
	}
	return o
}

func (o releaseObservation) condition() layerCondition {
	switch {
	case o.ready:
		return layerCondition{typ: conditionVClusterReady, status: true, reason: reasonReleaseDeployed,
			message: "the vcluster release is deployed"}
	case o.state == "failed":
		return layerCondition{typ: conditionVClusterReady, reason: reasonReleaseFailed, failed: true,
			message: "the vcluster release failed: " + o.message}
	case !o.seen:
		return layerCondition{typ: conditionVClusterReady, reason: reasonReleasePending,
			message: "the vcluster release is being created"}
	default:
		msg := "the vcluster release is not deployed yet"
		if o.state != "" {
			msg += " (Helm state " + o.state + ")"
		}
		if o.message != "" {
			msg += ": " + o.message
		}
		return layerCondition{typ: conditionVClusterReady, reason: reasonReleasePending, message: msg}
	}
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
