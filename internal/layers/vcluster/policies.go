package vcluster

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// policies are the chart's policies for this tenant: Pod Security, quota, limit range
// and network policies, all enabled explicitly (the chart's "auto" would couple them to each
// other).
func policies(t *tenant.Tenant) policiesValues {
	iso := t.Isolation
	np := networkPolicyValues{
		Enabled: true,
		Workload: workloadNetworkValues{
			PublicEgress: publicEgressValues{Enabled: iso.PublicEgress},
		},
	}
	if iso.PublicEgress {
		np.Workload.PublicEgress.CIDR = "0.0.0.0/0"
		np.Workload.PublicEgress.Except = iso.PublicEgressExcept
	}
	if len(iso.EgressCIDRs) > 0 {
		rule := egressRuleValues{}
		for _, c := range iso.EgressCIDRs {
			rule.To = append(rule.To, egressPeerValues{IPBlock: ipBlockValues{CIDR: c}})
		}
		np.Workload.Egress = []egressRuleValues{rule}
	}
	if cidrs := t.Input.Rancher.EgressCIDRs; t.Rancher.Enabled && len(cidrs) > 0 {
		// Rancher's agent dials out to Rancher, whatever the tenant's own egress.
		rule := egressRuleValues{Ports: []networkPortValues{{Protocol: "TCP", Port: t.RancherPort()}}}
		for _, c := range cidrs {
			rule.To = append(rule.To, egressPeerValues{IPBlock: ipBlockValues{CIDR: c}})
		}
		np.Workload.Egress = append(np.Workload.Egress, rule)
	}
	return policiesValues{
		ResourceQuota: resourceQuotaValues{Enabled: true, Quota: quotaWithExposure(t)},
		LimitRange: limitRangeValues{
			Enabled:        true,
			Default:        iso.LimitRange.Default,
			DefaultRequest: iso.LimitRange.DefaultRequest,
			Max:            iso.LimitRange.Max,
			Min:            iso.LimitRange.Min,
		},
		NetworkPolicy: np,
	}
}

// quotaWithExposure is the tenant's quota plus what the platform's own exposure Service counts
// against it: a LoadBalancer Service is one load balancer and a node port for each of its ports
// (the quota evaluator of Services, k8s.io/kubernetes pkg/quota/v1/evaluator/core/services.go);
// the chart's Service has one, https. Without it a profile that allows tenants no load balancer
// would refuse the control plane's own. Entries the quota does not bound stay unbounded.
func quotaWithExposure(t *tenant.Tenant) corev1.ResourceList {
	q := t.Isolation.Quota
	if t.Exposure.Type != inputv1beta1.ExposureLoadBalancer {
		return q
	}
	q = q.DeepCopy()
	for _, name := range []corev1.ResourceName{corev1.ResourceServicesLoadBalancers, corev1.ResourceServicesNodePorts} {
		if v, bounded := q[name]; bounded {
			v.Add(*resource.NewQuantity(1, resource.DecimalSI))
			q[name] = v
		}
	}
	return q
}
