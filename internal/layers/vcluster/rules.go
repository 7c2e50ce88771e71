package vcluster

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// hostRules are the rules the chart puts on the host namespace from these values, read back from
// the values themselves (what is rendered is what is judged): the quota and limit range, the
// tenant workloads' egress, and the virtual API server's own Pod Security.
func hostRules(t *tenant.Tenant, v vclusterValues) layer.HostRules {
	p := v.Policies
	rules := layer.HostRules{
		VirtualPodSecurity: t.PodSecurity,
		VirtualExemptions:  t.VirtualPodSecurityExemptions(),
		Quota:              p.ResourceQuota.Quota,
		LimitRange: corev1.LimitRangeItem{
			Type:           corev1.LimitTypeContainer,
			Default:        p.LimitRange.Default,
			DefaultRequest: p.LimitRange.DefaultRequest,
			Max:            p.LimitRange.Max,
			Min:            p.LimitRange.Min,
		},
		QuotaSet:  true,
		EgressSet: true,
	}
	w := p.NetworkPolicy.Workload
	if w.PublicEgress.Enabled {
		rules.Egress = append(rules.Egress, layer.EgressRule{CIDR: w.PublicEgress.CIDR, Except: w.PublicEgress.Except, Why: "public egress"})
	}
	for _, r := range w.Egress {
		for _, to := range r.To {
			// A rule is the tenant's when it is one of the ranges the tenant asked for; any
			// other is the platform's, for its own workloads.
			platform := !slices.Contains(t.Isolation.EgressCIDRs, to.IPBlock.CIDR) || len(r.Ports) > 0
			why := "the tenant's egress range"
			if platform {
				why = "the platform's egress rule"
			}
			if len(r.Ports) == 0 {
				rules.Egress = append(rules.Egress, layer.EgressRule{CIDR: to.IPBlock.CIDR, Platform: platform, Why: why})
			}
			for _, port := range r.Ports {
				rules.Egress = append(rules.Egress, layer.EgressRule{
					CIDR: to.IPBlock.CIDR, Protocol: corev1.Protocol(port.Protocol), Port: int32(port.Port), Platform: platform, Why: why, //nolint:gosec // a port number
				})
			}
		}
	}
	return rules
}
