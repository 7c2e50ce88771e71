package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The printer columns below are copied into the XRDs by `make generate`; Crossplane adds SYNCED,
// READY and AGE itself.

// XTenantCluster is one fully isolated tenant: a virtual cluster in its own host namespace.
// Tenants create it through the namespaced TenantCluster claim.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="ENDPOINT",type=string,JSONPath=`.status.vcluster.endpoint`
// +kubebuilder:printcolumn:name="RANCHER",type=string,JSONPath=`.status.rancher.clusterId`
type XTenantCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TenantClusterSpec   `json:"spec,omitempty"`
	Status TenantClusterStatus `json:"status,omitempty"`
}

// TenantClusterSpec is what a tenant asks for. Every field is optional: an empty spec gets the
// platform's defaults from the Composition's function input.
type TenantClusterSpec struct {
	// KubernetesVersion is the Kubernetes minor version of the virtual cluster, e.g. "1.36".
	// Empty means the platform's default. It may be raised one minor version at a time and never
	// lowered, the same rule Kubernetes itself has for upgrades. The platform decides which
	// versions are offered.
	// +optional
	// +kubebuilder:validation:MaxLength=5
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,2}$`
	// +kubebuilder:validation:XValidation:rule="int(self.split('.')[1]) >= int(oldSelf.split('.')[1])",message="spec.kubernetesVersion cannot be lowered: a virtual cluster cannot be downgraded; create a new TenantCluster instead"
	// +kubebuilder:validation:XValidation:rule="int(self.split('.')[1]) <= int(oldSelf.split('.')[1]) + 1",message="spec.kubernetesVersion can be raised by one minor version at a time (e.g. 1.35 to 1.36)"
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// Size names one of the size profiles the platform offers (for example small, medium,
	// large); it sets the control plane's resources. Empty means the platform's default.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Size string `json:"size,omitempty"`

	// Resources adjusts the size profile's quota and container defaults for this tenant, within
	// the bounds the platform sets.
	// +optional
	Resources *ResourceOverrides `json:"resources,omitempty"`

	// Isolation sets how strictly the tenant's workloads are confined on the host cluster.
	// +optional
	Isolation *Isolation `json:"isolation,omitempty"`

	// Exposure makes the virtual cluster's API server reachable from outside the host cluster.
	// Empty means the platform's default (usually in-cluster only).
	// +optional
	Exposure *Exposure `json:"exposure,omitempty"`

	// Rancher says who owns the virtual cluster in Rancher, when the platform registers tenants
	// there.
	// +optional
	Rancher *RancherSpec `json:"rancher,omitempty"`

	// Logging sends the logs of the tenant's containers to the tenant's own sinks, when the
	// platform offers it. Removing it stops sending and removes what was set up for it.
	// +optional
	Logging *LoggingSpec `json:"logging,omitempty"`

	// Monitoring gives the tenant its own Prometheus, Alertmanager and Grafana, when the
	// platform offers it. Removing it removes them; what happens to the stored series then is
	// the platform's retention policy.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// ResourceOverrides adjusts the size profile for one tenant.
type ResourceOverrides struct {
	// Quota overrides entries of the size profile's resource quota on everything the tenant runs,
	// e.g. requests.cpu: "8" or count/pods: "100". Only the entries the platform bounds in its
	// policy can be set, each up to the platform's maximum.
	// +optional
	Quota corev1.ResourceList `json:"quota,omitempty"`

	// ContainerDefaults overrides the requests and limits given to containers that set none
	// (the size profile's limit range defaults), within the profile's limit range.
	// +optional
	ContainerDefaults *ContainerDefaults `json:"containerDefaults,omitempty"`
}

// ContainerDefaults are the resources of a container that sets none.
type ContainerDefaults struct {
	// Requests are the default resource requests, e.g. cpu: 100m.
	// +optional
	Requests corev1.ResourceList `json:"requests,omitempty"`
	// Limits are the default resource limits, e.g. memory: 512Mi.
	// +optional
	Limits corev1.ResourceList `json:"limits,omitempty"`
}

// PodSecurityLevel is a Kubernetes Pod Security Standard.
// +kubebuilder:validation:Enum=privileged;baseline;restricted
type PodSecurityLevel string

// The Pod Security Standards, from least to most restrictive.
const (
	PodSecurityPrivileged PodSecurityLevel = "privileged"
	PodSecurityBaseline   PodSecurityLevel = "baseline"
	PodSecurityRestricted PodSecurityLevel = "restricted"
)

// Isolation confines the tenant's workloads on the host cluster.
type Isolation struct {
	// PodSecurity is the Pod Security Standard every pod of the tenant must meet: it is enforced
	// on the host namespace (where the virtual cluster's pods run) and inside the virtual cluster.
	// Empty means the platform's default. The platform sets a floor: asking for a level below it
	// is refused.
	// +optional
	PodSecurity PodSecurityLevel `json:"podSecurity,omitempty"`

	// Network limits where the tenant's workloads may connect to. Inside the virtual cluster
	// workloads always reach each other and DNS.
	// +optional
	Network *NetworkIsolation `json:"network,omitempty"`
}

// NetworkIsolation is the tenant's egress: what its workloads may reach outside the tenant.
type NetworkIsolation struct {
	// PublicEgress lets workloads reach public addresses (everything but the private ranges).
	// Empty means allowed if the platform allows it; asking for it where the platform does not
	// allow it is refused.
	// +optional
	PublicEgress *bool `json:"publicEgress,omitempty"`

	// EgressCIDRs are further address ranges workloads may reach, e.g. a database subnet
	// "10.20.0.0/24". Each must lie inside a range the platform allows.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c))",message="spec.isolation.network.egressCIDRs must be CIDRs such as 10.20.0.0/24"
	// +listType=set
	EgressCIDRs []string `json:"egressCIDRs,omitempty"`
}

// ExposureType is how the virtual cluster's API server is reached.
// +kubebuilder:validation:Enum=None;Ingress;LoadBalancer
type ExposureType string

// The ways of exposing a virtual cluster's API server.
const (
	// ExposureNone keeps the API server reachable only from inside the host cluster.
	ExposureNone ExposureType = "None"
	// ExposureIngress publishes the API server through the host cluster's ingress controller,
	// with TLS passed through to the virtual cluster.
	ExposureIngress ExposureType = "Ingress"
	// ExposureLoadBalancer publishes the API server through a Service of type LoadBalancer.
	ExposureLoadBalancer ExposureType = "LoadBalancer"
)

// Exposure makes the API server reachable from outside the host cluster. The host name is the
// platform's: <tenant id>.<platform domain>, so that no tenant can take another's name.
type Exposure struct {
	// Type is None, Ingress or LoadBalancer; the platform decides which are offered.
	// +optional
	Type ExposureType `json:"type,omitempty"`
}

// Phase summarises where the tenant is in its life.
// +kubebuilder:validation:Enum=Provisioning;Ready;Failed
type Phase string

// The phases of a tenant.
const (
	// PhaseProvisioning: resources are being created or are not ready yet.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseReady: every layer of the tenant is ready.
	PhaseReady Phase = "Ready"
	// PhaseFailed: a layer failed and needs attention; the conditions say which and why.
	PhaseFailed Phase = "Failed"
)

// TenantClusterStatus is what the function reports back. Crossplane owns status.conditions; the
// function adds one condition per layer (VClusterReady, ...).
type TenantClusterStatus struct {
	// Phase summarises the tenant's state; the conditions hold the details.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// VCluster describes the virtual cluster.
	// +optional
	VCluster *VClusterStatus `json:"vcluster,omitempty"`

	// KubeconfigSecretRef is the Secret in the tenant's namespace that holds the virtual
	// cluster's kubeconfig (key "kubeconfig"). On a claim, the claim's
	// spec.writeConnectionSecretToRef names it instead.
	// +optional
	KubeconfigSecretRef *SecretReference `json:"kubeconfigSecretRef,omitempty"`

	// TenantTarget names the provider-kubernetes and provider-helm ProviderConfigs that reach
	// inside the virtual cluster.
	// +optional
	TenantTarget *TenantTargetStatus `json:"tenantTarget,omitempty"`

	// Rancher describes the virtual cluster's registration in Rancher.
	// +optional
	Rancher *RancherStatus `json:"rancher,omitempty"`

	// Logging is the tenant's logging, while it is on.
	// +optional
	Logging *LoggingStatus `json:"logging,omitempty"`

	// Monitoring is the tenant's monitoring, while it is on.
	// +optional
	Monitoring *MonitoringStatus `json:"monitoring,omitempty"`
}

// SecretReference names a Secret.
type SecretReference struct {
	// Name of the Secret.
	Name string `json:"name"`
	// Namespace of the Secret.
	Namespace string `json:"namespace"`
}

// TenantTargetStatus names the ProviderConfigs of the virtual cluster.
type TenantTargetStatus struct {
	// ProviderConfig is the name of both the provider-kubernetes and the provider-helm
	// ProviderConfig (ProviderConfig in the XR's namespace for a namespaced TenantCluster).
	ProviderConfig string `json:"providerConfig,omitempty"`
	// Ready is true once the kubeconfig the ProviderConfigs read has been exported.
	Ready bool `json:"ready,omitempty"`
}

// VClusterStatus describes the virtual cluster and its Helm release.
type VClusterStatus struct {
	// Namespace is the host namespace the virtual cluster runs in.
	Namespace string `json:"namespace,omitempty"`
	// Release is the Helm release name of the virtual cluster in that namespace.
	Release string `json:"release,omitempty"`
	// Endpoint is the URL of the virtual cluster's API server for its tenant: the external URL
	// when the API server is exposed, else the in-cluster one.
	Endpoint string `json:"endpoint,omitempty"`
	// InternalEndpoint is the URL of the API server from inside the host cluster.
	InternalEndpoint string `json:"internalEndpoint,omitempty"`
	// KubernetesVersion is the Kubernetes minor version requested for the virtual cluster.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// ChartVersion is the vcluster chart version the release is asked to run.
	ChartVersion string `json:"chartVersion,omitempty"`
	// Revision is the Helm revision of the release as last observed. A number that keeps climbing
	// means the release is being upgraded over and over and needs a look.
	Revision int64 `json:"revision,omitempty"`
	// BackingStore is where the virtual cluster keeps its state (sqlite, etcd or embedded-etcd).
	// It is chosen when the tenant is created and never changed afterwards: changing it would
	// lose the virtual cluster's data.
	BackingStore string `json:"backingStore,omitempty"`
}
