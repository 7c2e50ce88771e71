package layer

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// HostRules are the rules of the tenant's host namespace as the layers compose them: what the
// host API server and the network plugin will hold every declared workload to. Each layer fills
// in the rules it owns (the namespace layer the Pod Security level, the vcluster layer the quota,
// limit range, egress policy and the virtual cluster's own Pod Security); the pipeline merges
// them.
type HostRules struct {
	// PodSecurity is the level the host namespace enforces.
	PodSecurity v1alpha1.PodSecurityLevel
	// VirtualPodSecurity is the level the virtual API server enforces, except in
	// VirtualExemptions.
	VirtualPodSecurity v1alpha1.PodSecurityLevel
	VirtualExemptions  []string
	// Quota is the host namespace's ResourceQuota and LimitRange the LimitRanger applies.
	Quota      corev1.ResourceList
	LimitRange corev1.LimitRangeItem
	// Egress is the egress the network policy gives the tenant's workloads. Platform rules
	// are rules the platform adds for its own workloads: the network check requires each to be
	// used by a declared workload, so that no rule opens more than the platform needs.
	Egress []EgressRule
	// QuotaSet, EgressSet: the rule was stated (an empty quota is not an unbounded one).
	QuotaSet, EgressSet bool
}

// EgressRule is one egress rule: a range, minus exceptions, optionally on one port.
type EgressRule struct {
	CIDR     string
	Except   []string
	Protocol corev1.Protocol
	Port     int32
	// Platform marks a rule the platform adds for its own workloads, not the tenant's egress.
	Platform bool
	// Why says what the rule is for.
	Why string
}

// Merge adds other's stated rules to r.
func (r *HostRules) Merge(other HostRules) {
	if other.PodSecurity != "" {
		r.PodSecurity = other.PodSecurity
	}
	if other.VirtualPodSecurity != "" {
		r.VirtualPodSecurity, r.VirtualExemptions = other.VirtualPodSecurity, other.VirtualExemptions
	}
	if other.QuotaSet {
		r.Quota, r.LimitRange, r.QuotaSet = other.Quota, other.LimitRange, true
	}
	if other.EgressSet {
		r.Egress, r.EgressSet = append(r.Egress, other.Egress...), true
	}
}
