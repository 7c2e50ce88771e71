package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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

	// Exposure configures how tenants' API servers can be exposed; a way that is not configured
	// here is not offered.
	// +optional
	Exposure ExposureSettings `json:"exposure,omitempty"`

	// Kubeconfig configures where the virtual clusters' kubeconfigs are kept.
	// +optional
	Kubeconfig KubeconfigSettings `json:"kubeconfig,omitempty"`

	// Usages configures the Crossplane Usages that order deletion.
	// +optional
	Usages UsageSettings `json:"usages,omitempty"`

	// Rancher configures the registration of every tenant's virtual cluster in Rancher.
	// +optional
	Rancher RancherSettings `json:"rancher,omitempty"`

	// Logging offers tenants logging through the platform's logging-operator.
	// +optional
	Logging LoggingSettings `json:"logging,omitempty"`

	// Monitoring offers tenants a Prometheus, Alertmanager and Grafana of their own.
	// +optional
	Monitoring MonitoringSettings `json:"monitoring,omitempty"`
}

// Targets names the ProviderConfigs of each target cluster.
type Targets struct {
	// Host is the cluster the virtual clusters run on.
	// +optional
	Host Target `json:"host,omitempty"`

	// Tenant configures the ProviderConfigs the function creates for each virtual cluster.
	// +optional
	Tenant TenantTarget `json:"tenant,omitempty"`

	// Rancher is Rancher's management ("local") cluster, where tenants are registered. It may
	// be the host cluster or Crossplane's own.
	// +optional
	Rancher RancherTarget `json:"rancher,omitempty"`

	// Crossplane is the cluster Crossplane itself runs on, where the Job that registers each
	// virtual cluster in Rancher runs (in kubeconfig.secretNamespace, beside the virtual
	// clusters' kubeconfigs).
	// +optional
	Crossplane RancherTarget `json:"crossplane,omitempty"`
}

// RancherTarget names the ProviderConfig of Rancher's management cluster.
type RancherTarget struct {
	// KubernetesProviderConfig is the provider-kubernetes ProviderConfig. Default: "default".
	// +optional
	// +kubebuilder:validation:MaxLength=253
	KubernetesProviderConfig string `json:"kubernetesProviderConfig,omitempty"`
}

// TenantEndpoint is which API server URL the tenant ProviderConfigs use.
// +kubebuilder:validation:Enum=Internal;External
type TenantEndpoint string

// The endpoints a tenant ProviderConfig can use.
const (
	// TenantEndpointInternal is the in-cluster Service URL: Crossplane runs on the host cluster.
	TenantEndpointInternal TenantEndpoint = "Internal"
	// TenantEndpointExternal is the exposed URL: Crossplane runs elsewhere. Every tenant must
	// then be exposed.
	TenantEndpointExternal TenantEndpoint = "External"
)

// TenantTarget configures the ProviderConfigs that reach inside each virtual cluster.
type TenantTarget struct {
	// Endpoint is Internal (Crossplane runs on the host cluster and reaches the virtual cluster
	// through its Service) or External (through its exposed URL). Default: Internal.
	// +optional
	Endpoint TenantEndpoint `json:"endpoint,omitempty"`
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
	// RollbackLimit is how many times provider-helm recovers a tenant's release that failed or
	// was left pending (an interrupted install or upgrade, e.g. by a provider restart) by rolling
	// it back (uninstalling a first install) and trying again. Without it a failed or pending
	// release is final. The count starts again once the release is deployed. Default: 3.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	RollbackLimit int32 `json:"rollbackLimit,omitempty"`
	// AllowPro lets the function use chart features that need a vCluster Pro license (fields
	// the chart's values schema marks "pro"): today the embedded etcd of highly available
	// control planes. Without it, highly available control planes use a deployed etcd.
	// +optional
	AllowPro bool `json:"allowPro,omitempty"`
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

// SizeProfile is one size a tenant can pick: the virtual cluster's control plane and how much
// the tenant's workloads may use.
type SizeProfile struct {
	// ControlPlane are the resources of the virtual cluster's control plane (syncer and API
	// server container).
	// +optional
	ControlPlane Resources `json:"controlPlane,omitempty"`
	// Replicas of the control plane. More than one makes it highly available, which needs etcd
	// as its backing store; a tenant cannot move between one replica and several later, because
	// the backing store cannot change under an existing virtual cluster. Default: 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=7
	Replicas int32 `json:"replicas,omitempty"`
	// Persistence is the control plane's data volume.
	// +optional
	Persistence *Persistence `json:"persistence,omitempty"`
	// Scheduling places the control plane's pods on the host cluster.
	// +optional
	Scheduling *Scheduling `json:"scheduling,omitempty"`
	// Quota bounds what all of the tenant's workloads together may use (a ResourceQuota on the
	// host namespace), e.g. requests.cpu, limits.memory, count/pods. Keys the profile leaves out
	// keep the chart's defaults. The platform's own workloads in the host namespace count
	// against it like the tenant's: the control plane, etcd, CoreDNS and, when registered,
	// Rancher's agents (as the limit range admits them); the tenant has what they leave. The one
	// exception is the load balancer and node port of a LoadBalancer-exposed API server, which
	// are added to the quota, so that a profile may allow tenants none of their own. The
	// function checks that the platform's workloads fit: a profile they do not fit is warned
	// about on every tenant of it, a claim's quota they do not fit is refused.
	// +optional
	Quota corev1.ResourceList `json:"quota,omitempty"`
	// LimitRange gives containers default resources and bounds them.
	// +optional
	LimitRange *LimitRange `json:"limitRange,omitempty"`
}

// Persistence is a control plane's data volume.
type Persistence struct {
	// Size of the volume. Default: the chart's (5Gi).
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// StorageClass of the volume. Default: the host cluster's default class.
	// +optional
	StorageClass string `json:"storageClass,omitempty"`
	// RetentionPolicy is whether the data volume claims are kept (Retain) or deleted (Delete)
	// when the control plane's StatefulSet is deleted, e.g. when the vcluster release is
	// uninstalled or a chart upgrade replaces it; a new StatefulSet of the same virtual cluster
	// finds them again. It does not keep data beyond the tenant: deleting the tenant deletes its
	// host namespace, and the claims in it (docs/operating.md, "Data and deletion"). Default:
	// Retain.
	// +optional
	// +kubebuilder:validation:Enum=Retain;Delete
	RetentionPolicy string `json:"retentionPolicy,omitempty"`
}

// Scheduling places pods on nodes.
type Scheduling struct {
	// NodeSelector the pods' nodes must match.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations of the pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// PriorityClassName of the pods.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// LimitRange gives containers default resources and bounds them.
type LimitRange struct {
	// Default limits of a container that sets none.
	// +optional
	Default corev1.ResourceList `json:"default,omitempty"`
	// DefaultRequest is the requests of a container that sets none.
	// +optional
	DefaultRequest corev1.ResourceList `json:"defaultRequest,omitempty"`
	// Max is the most a container may ask for.
	// +optional
	Max corev1.ResourceList `json:"max,omitempty"`
	// Min is the least a container may ask for.
	// +optional
	Min corev1.ResourceList `json:"min,omitempty"`
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
	// Exposure for claims without spec.exposure.type. Default: None.
	// +optional
	// +kubebuilder:validation:Enum=None;Ingress;LoadBalancer
	Exposure string `json:"exposure,omitempty"`
}

// Policy limits what tenants may ask for.
type Policy struct {
	// PodSecurityFloor is the least restrictive Pod Security Standard a tenant may ask for.
	// Default: baseline.
	// +optional
	// +kubebuilder:validation:Enum=privileged;baseline;restricted
	PodSecurityFloor string `json:"podSecurityFloor,omitempty"`
	// MaxQuota bounds the quota entries a claim may override in spec.resources.quota; a claim
	// can override only the entries named here. Default: none (no overrides).
	// +optional
	MaxQuota corev1.ResourceList `json:"maxQuota,omitempty"`
	// Network bounds the tenants' egress.
	// +optional
	Network NetworkPolicy `json:"network,omitempty"`
}

// NetworkPolicy bounds what tenants' workloads may reach. Every tenant's workloads are confined
// by network policies; these are the only ways out a claim can ask for.
type NetworkPolicy struct {
	// DenyPublicEgress refuses tenants access to public addresses. Default: false (tenants
	// get public egress unless their claim turns it off).
	// +optional
	DenyPublicEgress bool `json:"denyPublicEgress,omitempty"`
	// PublicEgressExcept are the ranges public egress never reaches. Default: the private,
	// shared and loopback ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10,
	// 127.0.0.0/8, 169.254.0.0/16).
	// +optional
	PublicEgressExcept []string `json:"publicEgressExcept,omitempty"`
	// EgressCIDRs are the ranges a claim's spec.isolation.network.egressCIDRs must lie in.
	// Default: none.
	// +optional
	EgressCIDRs []string `json:"egressCIDRs,omitempty"`
}

// ExposureSettings configures the ways an API server can be exposed.
type ExposureSettings struct {
	// Ingress exposes API servers through the host cluster's ingress controller, which must
	// pass TLS through (the virtual cluster authenticates clients by certificate).
	// +optional
	Ingress *IngressExposure `json:"ingress,omitempty"`
	// LoadBalancer exposes API servers through Services of type LoadBalancer.
	// +optional
	LoadBalancer *LoadBalancerExposure `json:"loadBalancer,omitempty"`
}

// IngressController names an ingress controller whose TLS passthrough annotations the function
// knows.
// +kubebuilder:validation:Enum=ingress-nginx;haproxy;haproxy-ingress;other
type IngressController string

// The ingress controllers the function sets TLS passthrough annotations for.
const (
	IngressNginx          IngressController = "ingress-nginx"
	IngressHAProxyTech    IngressController = "haproxy"
	IngressHAProxyIngress IngressController = "haproxy-ingress"
	IngressOther          IngressController = "other"
)

// IngressExposure exposes API servers through an ingress controller.
type IngressExposure struct {
	// Domain the tenants' host names are made under: <tenant id>.<domain>. A wildcard DNS
	// record (and, for the ingress controller, nothing else) must point it at the controller.
	// +kubebuilder:validation:MaxLength=190
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Domain string `json:"domain"`
	// ClassName is the IngressClass. Default: the cluster's default class.
	// +optional
	ClassName string `json:"className,omitempty"`
	// Controller picks the TLS passthrough annotations: ingress-nginx (default; needs
	// --enable-ssl-passthrough), haproxy (haproxytech), haproxy-ingress (jcmoraisjr) or other
	// (only the annotations below).
	// +optional
	Controller IngressController `json:"controller,omitempty"`
	// Annotations added to every tenant's Ingress.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// LoadBalancerExposure exposes API servers through Services of type LoadBalancer.
type LoadBalancerExposure struct {
	// Domain the tenants' host names are made under: <tenant id>.<domain>. Something (for
	// example external-dns, through the annotations below) must point each name at its load
	// balancer; the name goes into the API server's certificate and the kubeconfig.
	// +kubebuilder:validation:MaxLength=190
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Domain string `json:"domain"`
	// Annotations added to every tenant's Service, for example the cloud's load balancer
	// settings. The function adds external-dns.alpha.kubernetes.io/hostname itself.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// KubeconfigSettings configures where kubeconfigs are kept.
type KubeconfigSettings struct {
	// SecretNamespace is the namespace on the Crossplane cluster where a claim's vcluster
	// Release writes the kubeconfig that the tenant ProviderConfigs read; tenants never get
	// access to it (they get their copy through the claim's writeConnectionSecretToRef).
	// Namespaced TenantClusters keep it in their own namespace instead. Default:
	// crossplane-system.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	SecretNamespace string `json:"secretNamespace,omitempty"`
}

// UsageSettings configures the Usages the function composes to order deletion.
type UsageSettings struct {
	// APIVersion of the Usages: protection.crossplane.io/v1beta1 on Crossplane 2 (default),
	// apiextensions.crossplane.io/v1beta1 on Crossplane 1.x.
	// +optional
	// +kubebuilder:validation:Enum=protection.crossplane.io/v1beta1;apiextensions.crossplane.io/v1beta1
	APIVersion string `json:"apiVersion,omitempty"`
}
