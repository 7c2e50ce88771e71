package v1alpha1

import (
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

	// Isolation sets how strictly the tenant's workloads are confined on the host cluster.
	// +optional
	Isolation *Isolation `json:"isolation,omitempty"`
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
}

// VClusterStatus describes the virtual cluster and its Helm release.
type VClusterStatus struct {
	// Namespace is the host namespace the virtual cluster runs in.
	Namespace string `json:"namespace,omitempty"`
	// Release is the Helm release name of the virtual cluster in that namespace.
	Release string `json:"release,omitempty"`
	// Endpoint is the URL of the virtual cluster's API server.
	Endpoint string `json:"endpoint,omitempty"`
	// KubernetesVersion is the Kubernetes minor version requested for the virtual cluster.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// ChartVersion is the vcluster chart version the release is asked to run.
	ChartVersion string `json:"chartVersion,omitempty"`
	// Revision is the Helm revision of the release as last observed. A number that keeps climbing
	// means the release is being upgraded over and over and needs a look.
	Revision int64 `json:"revision,omitempty"`
}
