package vcluster

import (
	corev1 "k8s.io/api/core/v1"
)

// The vcluster chart's values, as typed Go structs holding exactly the fields this function sets.
// Everything else keeps the chart's default. Field names follow the chart's values.schema.json;
// tests validate the rendered values against that schema for every supported chart version, and
// check that no field the schema marks "pro" is set unless the Input allows it.

type vclusterValues struct {
	ControlPlane     controlPlaneValues     `json:"controlPlane"`
	Policies         policiesValues         `json:"policies"`
	ExportKubeConfig exportKubeConfigValues `json:"exportKubeConfig"`
	Experimental     experimentalValues     `json:"experimental"`
}

// experimentalValues carries the manifests the chart renders into the host namespace beside the
// control plane (experimental.deploy is not a vCluster Pro feature).
type experimentalValues struct {
	Deploy experimentalDeployValues `json:"deploy"`
}

type experimentalDeployValues struct {
	Host experimentalDeployHostValues `json:"host"`
}

type experimentalDeployHostValues struct {
	Manifests string `json:"manifests"`
}

type controlPlaneValues struct {
	Distro       distroValues        `json:"distro"`
	BackingStore *backingStoreValues `json:"backingStore,omitempty"`
	StatefulSet  statefulSetValues   `json:"statefulSet"`
	CoreDNS      coreDNSValues       `json:"coredns"`
	Proxy        proxyValues         `json:"proxy"`
	Ingress      *ingressValues      `json:"ingress,omitempty"`
	Service      *serviceValues      `json:"service,omitempty"`
}

type distroValues struct {
	K8s k8sDistroValues `json:"k8s"`
}

type k8sDistroValues struct {
	Enabled bool        `json:"enabled"`
	Image   imageValues `json:"image"`
	// SecurityContext is the security context of the chart's "kubernetes" init container (it
	// copies the Kubernetes binaries into the control plane pod); the chart's default is none.
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// APIServer is the virtual API server started inside the control plane container.
	APIServer apiServerValues `json:"apiServer"`
}

type apiServerValues struct {
	ExtraArgs []string `json:"extraArgs"`
}

type imageValues struct {
	Tag string `json:"tag"`
}

// backingStoreValues picks etcd for highly available control planes; a single replica keeps the
// chart's default (an embedded database).
type backingStoreValues struct {
	Etcd etcdValues `json:"etcd"`
}

type etcdValues struct {
	// Embedded etcd needs a vCluster Pro license ("pro" in the schema).
	Embedded *enabledValues    `json:"embedded,omitempty"`
	Deploy   *etcdDeployValues `json:"deploy,omitempty"`
}

type enabledValues struct {
	Enabled bool `json:"enabled"`
}

type etcdDeployValues struct {
	Enabled     bool              `json:"enabled"`
	StatefulSet statefulSetValues `json:"statefulSet"`
}

// statefulSetValues is the part of the control plane's StatefulSet, and of the deployed etcd's,
// that the function sets. The etcd keeps the chart's default resources.
type statefulSetValues struct {
	HighAvailability highAvailabilityValues `json:"highAvailability"`
	Resources        *resourcesValues       `json:"resources,omitempty"`
	Scheduling       *schedulingValues      `json:"scheduling,omitempty"`
	Security         securityValues         `json:"security"`
	Persistence      persistenceValues      `json:"persistence"`
}

type highAvailabilityValues struct {
	Replicas int32 `json:"replicas"`
}

type persistenceValues struct {
	VolumeClaim     volumeClaimValues    `json:"volumeClaim"`
	AddVolumes      []corev1.Volume      `json:"addVolumes,omitempty"`
	AddVolumeMounts []corev1.VolumeMount `json:"addVolumeMounts,omitempty"`
}

type volumeClaimValues struct {
	Size            string `json:"size,omitempty"`
	StorageClass    string `json:"storageClass,omitempty"`
	RetentionPolicy string `json:"retentionPolicy"`
}

type schedulingValues struct {
	NodeSelector      map[string]string   `json:"nodeSelector,omitempty"`
	Affinity          *corev1.Affinity    `json:"affinity,omitempty"`
	Tolerations       []corev1.Toleration `json:"tolerations,omitempty"`
	PriorityClassName string              `json:"priorityClassName,omitempty"`
}

type coreDNSValues struct {
	Security securityValues `json:"security"`
}

type resourcesValues struct {
	Requests corev1.ResourceList `json:"requests,omitempty"`
	Limits   corev1.ResourceList `json:"limits,omitempty"`
}

// securityValues holds a pod's and its containers' security contexts.
type securityValues struct {
	PodSecurityContext       *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`
	ContainerSecurityContext *corev1.SecurityContext    `json:"containerSecurityContext,omitempty"`
}

type proxyValues struct {
	ExtraSANs []string `json:"extraSANs"`
}

type ingressValues struct {
	Enabled  bool               `json:"enabled"`
	Host     string             `json:"host"`
	PathType string             `json:"pathType"`
	Spec     *ingressSpecValues `json:"spec,omitempty"`
	// Annotations are merged by Helm over the chart's default (ingress-nginx's passthrough
	// annotations); a nil value removes a default key.
	Annotations map[string]*string `json:"annotations,omitempty"`
}

type ingressSpecValues struct {
	IngressClassName string `json:"ingressClassName,omitempty"`
}

type serviceValues struct {
	Spec        serviceSpecValues `json:"spec"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type serviceSpecValues struct {
	Type string `json:"type"`
}

// policiesValues leaves the chart's podSecurityStandard unset: the virtual API server's own
// admission configuration enforces Pod Security (virtualpodsecurity.go says why).
type policiesValues struct {
	ResourceQuota resourceQuotaValues `json:"resourceQuota"`
	LimitRange    limitRangeValues    `json:"limitRange"`
	NetworkPolicy networkPolicyValues `json:"networkPolicy"`
}

type resourceQuotaValues struct {
	Enabled bool                `json:"enabled"`
	Quota   corev1.ResourceList `json:"quota,omitempty"`
}

type limitRangeValues struct {
	Enabled        bool                `json:"enabled"`
	Default        corev1.ResourceList `json:"default,omitempty"`
	DefaultRequest corev1.ResourceList `json:"defaultRequest,omitempty"`
	Max            corev1.ResourceList `json:"max,omitempty"`
	Min            corev1.ResourceList `json:"min,omitempty"`
}

type networkPolicyValues struct {
	Enabled  bool                  `json:"enabled"`
	Workload workloadNetworkValues `json:"workload"`
}

type workloadNetworkValues struct {
	PublicEgress publicEgressValues `json:"publicEgress"`
	Egress       []egressRuleValues `json:"egress,omitempty"`
}

type publicEgressValues struct {
	Enabled bool     `json:"enabled"`
	CIDR    string   `json:"cidr,omitempty"`
	Except  []string `json:"except,omitempty"`
}

// egressRuleValues is a NetworkPolicy egress rule reaching IP blocks.
type egressRuleValues struct {
	To    []egressPeerValues  `json:"to"`
	Ports []networkPortValues `json:"ports,omitempty"`
}

type networkPortValues struct {
	Protocol string `json:"protocol"`
	Port     int64  `json:"port"`
}

type egressPeerValues struct {
	IPBlock ipBlockValues `json:"ipBlock"`
}

type ipBlockValues struct {
	CIDR string `json:"cidr"`
}

type exportKubeConfigValues struct {
	AdditionalSecrets []kubeconfigSecretValues `json:"additionalSecrets"`
}

// kubeconfigSecretValues is one kubeconfig Secret the virtual cluster writes on the host.
type kubeconfigSecretValues struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Server    string `json:"server"`
	Context   string `json:"context"`
}
