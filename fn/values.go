package fn

import (
	corev1 "k8s.io/api/core/v1"
)

// The vcluster chart's values, as typed Go structs holding exactly the fields this function sets.
// Everything else keeps the chart's default. Field names follow the chart's values.schema.json;
// tests validate the rendered values against that schema for every supported chart version.

type vclusterValues struct {
	ControlPlane controlPlaneValues `json:"controlPlane"`
	Policies     policiesValues     `json:"policies"`
}

type controlPlaneValues struct {
	Distro      distroValues      `json:"distro"`
	StatefulSet statefulSetValues `json:"statefulSet"`
	CoreDNS     coreDNSValues     `json:"coredns"`
}

type distroValues struct {
	K8s k8sDistroValues `json:"k8s"`
}

type k8sDistroValues struct {
	Enabled bool        `json:"enabled"`
	Image   imageValues `json:"image"`
}

type imageValues struct {
	Tag string `json:"tag"`
}

type statefulSetValues struct {
	Resources resourcesValues `json:"resources"`
	Security  securityValues  `json:"security"`
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

type policiesValues struct {
	PodSecurityStandard string `json:"podSecurityStandard"`
}
