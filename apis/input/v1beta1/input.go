package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Input is the platform's configuration of function-tenantcluster. Every field has a default
// (applied by the function, see Default in defaults.go), so an empty Input works; a platform
// engineer sets what differs on their platform.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Targets names the ProviderConfigs through which each target cluster is reached.
	// +optional
	Targets Targets `json:"targets,omitempty"`

	// Namespace configures the host namespace each tenant gets.
	// +optional
	Namespace NamespaceSettings `json:"namespace,omitempty"`

	// VCluster configures the vcluster Helm chart.
	// +optional
	VCluster VClusterSettings `json:"vcluster,omitempty"`

	// Sizes are the size profiles tenants choose from with spec.size, by name.
	// Default: small, medium and large.
	// +optional
	Sizes map[string]SizeProfile `json:"sizes,omitempty"`

	// Defaults apply where a claim leaves a field empty.
	// +optional
	Defaults Defaults `json:"defaults,omitempty"`

	// Policy is what tenants may and may not ask for.
	// +optional
	Policy Policy `json:"policy,omitempty"`
}

// Targets names the ProviderConfigs of each target cluster.
type Targets struct {
	// Host is the cluster the virtual clusters run on.
	// +optional
	Host Target `json:"host,omitempty"`
}

// Target is one Kubernetes API endpoint, reached through a provider-kubernetes and a
// provider-helm ProviderConfig. On a Crossplane v2 namespaced XR the function refers to them as
// ClusterProviderConfigs of the same names.
type Target struct {
	// KubernetesProviderConfig is the provider-kubernetes ProviderConfig. Default: "default".
	// +optional
	// +kubebuilder:validation:MaxLength=253
	KubernetesProviderConfig string `json:"kubernetesProviderConfig,omitempty"`
	// HelmProviderConfig is the provider-helm ProviderConfig. Default: "default".
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HelmProviderConfig string `json:"helmProviderConfig,omitempty"`
}

// NamespaceSettings configures the host namespace of each tenant.
type NamespaceSettings struct {
	// Prefix starts the name of every tenant's host namespace. Default: "tenant-".
	// +optional
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*)?$`
	Prefix string `json:"prefix,omitempty"`
	// Labels are added to every tenant's host namespace (for example to select tenant
	// namespaces in the platform's network policies). They cannot override the labels the
	// function sets itself.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// VClusterSettings configures the vcluster chart.
type VClusterSettings struct {
	// Chart is the vcluster chart to install.
	// +optional
	Chart Chart `json:"chart,omitempty"`
	// MaxHistory is how many Helm revisions are kept per tenant. Default: 3.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxHistory int `json:"maxHistory,omitempty"`
	// KubernetesVersions are the Kubernetes versions tenants may run, each with the image tag of
	// the chart's distro image (ghcr.io/loft-sh/kubernetes) that provides it. Default: 1.36 →
	// v1.36.0, the chart's own default.
	// +optional
	// +listType=map
	// +listMapKey=version
	KubernetesVersions []KubernetesVersion `json:"kubernetesVersions,omitempty"`
}

// Chart is a Helm chart pinned to an exact version.
type Chart struct {
	// Repository is the chart repository URL. Default: https://charts.loft.sh.
	// +optional
	Repository string `json:"repository,omitempty"`
	// Name is the chart name. Default: vcluster.
	// +optional
	Name string `json:"name,omitempty"`
	// Version is the exact chart version, without a leading "v" (a "v" made provider-helm
	// upgrade the release on every poll). Default: 0.36.1.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`
	Version string `json:"version,omitempty"`
}

// KubernetesVersion is one Kubernetes minor version offered to tenants.
type KubernetesVersion struct {
	// Version is the minor version tenants ask for, e.g. "1.36".
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,2}$`
	Version string `json:"version"`
	// ImageTag is the tag of the distro image that runs it, e.g. "v1.36.0".
	// +kubebuilder:validation:Pattern=`^v1\.[0-9]{1,2}\.[0-9]+.*$`
	ImageTag string `json:"imageTag"`
}

// SizeProfile is one size a tenant can pick.
type SizeProfile struct {
	// ControlPlane are the resources of the virtual cluster's control plane (syncer and API
	// server container).
	// +optional
	ControlPlane Resources `json:"controlPlane,omitempty"`
}

// Resources are container resource requests and limits.
type Resources struct {
	// Requests are the resources reserved for the container.
	// +optional
	Requests corev1.ResourceList `json:"requests,omitempty"`
	// Limits are the most the container may use.
	// +optional
	Limits corev1.ResourceList `json:"limits,omitempty"`
}

// Defaults apply where a claim leaves a field empty.
type Defaults struct {
	// KubernetesVersion for claims without spec.kubernetesVersion. Default: the newest of
	// vcluster.kubernetesVersions.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// Size for claims without spec.size. Default: small.
	// +optional
	Size string `json:"size,omitempty"`
	// PodSecurity for claims without spec.isolation.podSecurity. Default: restricted.
	// +optional
	// +kubebuilder:validation:Enum=privileged;baseline;restricted
	PodSecurity string `json:"podSecurity,omitempty"`
}

// Policy limits what tenants may ask for.
type Policy struct {
	// PodSecurityFloor is the least restrictive Pod Security Standard a tenant may ask for.
	// Default: baseline.
	// +optional
	// +kubebuilder:validation:Enum=privileged;baseline;restricted
	PodSecurityFloor string `json:"podSecurityFloor,omitempty"`
}
