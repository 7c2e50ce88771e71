package fn

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// isolation is how the tenant's workloads are confined on the host cluster, resolved from the
// size profile, the claim's overrides and the platform's policy.
type isolation struct {
	quota      corev1.ResourceList
	limitRange inputv1beta1.LimitRange
	// publicEgress lets workloads reach public addresses, except publicEgressExcept.
	publicEgress       bool
	publicEgressExcept []string
	// egressCIDRs are further ranges workloads may reach, canonical and sorted.
	egressCIDRs []string
}

// resolveIsolation applies the claim's overrides to the size profile, within the platform's
// bounds: a claim can only ever narrow what the platform allows, or widen it up to the
// platform's stated maximum.
func resolveIsolation(spec v1alpha1.TenantClusterSpec, size inputv1beta1.SizeProfile, in *inputv1beta1.Input) (isolation, error) {
	iso := isolation{
		quota:              size.Quota.DeepCopy(),
		publicEgress:       !in.Policy.Network.DenyPublicEgress,
		publicEgressExcept: slices.Clone(in.Policy.Network.PublicEgressExcept),
	}
	if size.LimitRange != nil {
		iso.limitRange = *size.LimitRange.DeepCopy()
	}
	if r := spec.Resources; r != nil {
		if err := iso.overrideQuota(r.Quota, in.Policy.MaxQuota); err != nil {
			return isolation{}, err
		}
		if err := iso.overrideContainerDefaults(r.ContainerDefaults); err != nil {
			return isolation{}, err
		}
	}
	if spec.Isolation != nil && spec.Isolation.Network != nil {
		if err := iso.applyNetwork(*spec.Isolation.Network, in.Policy.Network); err != nil {
			return isolation{}, err
		}
	}
	return iso, nil
}

// overrideQuota sets the claim's quota entries; each must be one the platform bounds, within
// that bound.
func (iso *isolation) overrideQuota(quota corev1.ResourceList, maxQuota corev1.ResourceList) error {
	for _, name := range sortedNames(quota) {
		v := quota[name]
		field := "resources.quota[" + string(name) + "]"
		limit, ok := maxQuota[name]
		if !ok {
			allowed := "none"
			if len(maxQuota) > 0 {
				allowed = joinNames(sortedNames(maxQuota))
			}
			return &fieldError{field: field, message: fmt.Sprintf(
				"this platform does not let claims change the %s quota; entries a claim may change: %s", name, allowed)}
		}
		if v.Sign() < 0 {
			return &fieldError{field: field, message: fmt.Sprintf("%s must not be negative", v.String())}
		}
		if v.Cmp(limit) > 0 {
			return &fieldError{field: field, message: fmt.Sprintf(
				"%s is above this platform's maximum %s; ask for at most %s", v.String(), limit.String(), limit.String())}
		}
		if iso.quota == nil {
			iso.quota = corev1.ResourceList{}
		}
		iso.quota[name] = v.DeepCopy()
	}
	return nil
}

// overrideContainerDefaults sets the claim's container defaults within the profile's limit
// range, keeping every default request at or below its default limit (the API server refuses
// a LimitRange that breaks this, which would fail the whole Helm release).
func (iso *isolation) overrideContainerDefaults(cd *v1alpha1.ContainerDefaults) error {
	if cd == nil {
		return nil
	}
	lr := &iso.limitRange
	set := func(field string, target *corev1.ResourceList, values corev1.ResourceList) error {
		for _, name := range sortedNames(values) {
			v := values[name]
			f := fmt.Sprintf("resources.containerDefaults.%s[%s]", field, name)
			if limit, ok := lr.Max[name]; ok && v.Cmp(limit) > 0 {
				return &fieldError{field: f, message: fmt.Sprintf("%s is above the size profile's per-container maximum %s", v.String(), limit.String())}
			}
			if floor, ok := lr.Min[name]; ok && v.Cmp(floor) < 0 {
				return &fieldError{field: f, message: fmt.Sprintf("%s is below the size profile's per-container minimum %s", v.String(), floor.String())}
			}
			if v.Sign() <= 0 {
				return &fieldError{field: f, message: fmt.Sprintf("%s must be more than zero", v.String())}
			}
			if *target == nil {
				*target = corev1.ResourceList{}
			}
			(*target)[name] = v.DeepCopy()
		}
		return nil
	}
	if err := set("limits", &lr.Default, cd.Limits); err != nil {
		return err
	}
	if err := set("requests", &lr.DefaultRequest, cd.Requests); err != nil {
		return err
	}
	for _, name := range sortedNames(lr.DefaultRequest) {
		req := lr.DefaultRequest[name]
		if lim, ok := lr.Default[name]; ok && req.Cmp(lim) > 0 {
			return &fieldError{field: "resources.containerDefaults", message: fmt.Sprintf(
				"the default %s request %s is above the default %s limit %s; lower the request or raise the limit", name, req.String(), name, lim.String())}
		}
	}
	return nil
}

// applyNetwork applies the claim's egress choices: public egress only where the platform allows
// it, and extra ranges only inside the platform's ranges.
func (iso *isolation) applyNetwork(n v1alpha1.NetworkIsolation, policy inputv1beta1.NetworkPolicy) error {
	if n.PublicEgress != nil {
		if *n.PublicEgress && policy.DenyPublicEgress {
			return &fieldError{field: "isolation.network.publicEgress", message: "this platform does not allow public egress; remove the field or set it to false"}
		}
		iso.publicEgress = *n.PublicEgress
	}
	allowed := make([]netip.Prefix, 0, len(policy.EgressCIDRs))
	for _, c := range policy.EgressCIDRs {
		// Validated with the Input.
		p, _ := netip.ParsePrefix(c)
		allowed = append(allowed, p.Masked())
	}
	for i, c := range n.EgressCIDRs {
		field := fmt.Sprintf("isolation.network.egressCIDRs[%d]", i)
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return &fieldError{field: field, message: fmt.Sprintf("%q is not a CIDR such as 10.20.0.0/24", c)}
		}
		p = p.Masked()
		if !slices.ContainsFunc(allowed, func(a netip.Prefix) bool { return a.Bits() <= p.Bits() && a.Contains(p.Addr()) }) {
			ranges := "none"
			if len(policy.EgressCIDRs) > 0 {
				ranges = strings.Join(policy.EgressCIDRs, ", ")
			}
			return &fieldError{field: field, message: fmt.Sprintf(
				"%s is not inside a range this platform allows tenants to reach (%s)", p.String(), ranges)}
		}
		iso.egressCIDRs = append(iso.egressCIDRs, p.String())
	}
	slices.Sort(iso.egressCIDRs)
	iso.egressCIDRs = slices.Compact(iso.egressCIDRs)
	return nil
}

// policiesValues are the chart's policies for this tenant: Pod Security, quota, limit range
// and network policies, all enabled explicitly (the chart's "auto" would couple them to each
// other).
func (t *tenant) policiesValues() policiesValues {
	iso := t.isolation
	np := networkPolicyValues{
		Enabled: true,
		Workload: workloadNetworkValues{
			PublicEgress: publicEgressValues{Enabled: iso.publicEgress},
		},
	}
	if iso.publicEgress {
		np.Workload.PublicEgress.CIDR = "0.0.0.0/0"
		np.Workload.PublicEgress.Except = iso.publicEgressExcept
	}
	if len(iso.egressCIDRs) > 0 {
		rule := egressRuleValues{}
		for _, c := range iso.egressCIDRs {
			rule.To = append(rule.To, egressPeerValues{IPBlock: ipBlockValues{CIDR: c}})
		}
		np.Workload.Egress = []egressRuleValues{rule}
	}
	if cidrs := t.input.Rancher.EgressCIDRs; t.rancher.enabled && len(cidrs) > 0 {
		// Rancher's agent dials out to Rancher, whatever the tenant's own egress.
		rule := egressRuleValues{Ports: []networkPortValues{{Protocol: "TCP", Port: t.rancherPort()}}}
		for _, c := range cidrs {
			rule.To = append(rule.To, egressPeerValues{IPBlock: ipBlockValues{CIDR: c}})
		}
		np.Workload.Egress = append(np.Workload.Egress, rule)
	}
	return policiesValues{
		ResourceQuota: resourceQuotaValues{Enabled: true, Quota: t.quotaWithExposure()},
		LimitRange: limitRangeValues{
			Enabled:        true,
			Default:        iso.limitRange.Default,
			DefaultRequest: iso.limitRange.DefaultRequest,
			Max:            iso.limitRange.Max,
			Min:            iso.limitRange.Min,
		},
		NetworkPolicy: np,
	}
}

// quotaWithExposure is the tenant's quota plus what the platform's own exposure Service counts
// against it: a LoadBalancer Service is one load balancer and a node port for each of its ports
// (the quota evaluator of Services, k8s.io/kubernetes pkg/quota/v1/evaluator/core/services.go);
// the chart's Service has one, https. Without it a profile that allows tenants no load balancer
// would refuse the control plane's own. Entries the quota does not bound stay unbounded.
func (t *tenant) quotaWithExposure() corev1.ResourceList {
	q := t.isolation.quota
	if t.exposure.typ != inputv1beta1.ExposureLoadBalancer {
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

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func joinNames(names []corev1.ResourceName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}
