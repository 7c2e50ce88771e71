package tenant

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Isolation is how the tenant's workloads are confined on the host cluster, resolved from the
// size profile, the claim's overrides and the platform's policy.
type Isolation struct {
	Quota      corev1.ResourceList
	LimitRange inputv1beta1.LimitRange
	// PublicEgress lets workloads reach public addresses, except PublicEgressExcept.
	PublicEgress       bool
	PublicEgressExcept []string
	// EgressCIDRs are further ranges workloads may reach, canonical and sorted.
	EgressCIDRs []string
	// ClaimQuota are the quota entries the claim set (spec.resources.quota).
	ClaimQuota []corev1.ResourceName
}

// resolveIsolation applies the claim's overrides to the size profile, within the platform's
// bounds: a claim can only ever narrow what the platform allows, or widen it up to the
// platform's stated maximum.
func resolveIsolation(spec v1alpha1.TenantClusterSpec, size inputv1beta1.SizeProfile, in *inputv1beta1.Input) (Isolation, error) {
	iso := Isolation{
		Quota:              size.Quota.DeepCopy(),
		PublicEgress:       !in.Policy.Network.DenyPublicEgress,
		PublicEgressExcept: slices.Clone(in.Policy.Network.PublicEgressExcept),
	}
	if size.LimitRange != nil {
		iso.LimitRange = *size.LimitRange.DeepCopy()
	}
	if r := spec.Resources; r != nil {
		if err := iso.overrideQuota(r.Quota, in.Policy.MaxQuota); err != nil {
			return Isolation{}, err
		}
		if err := iso.overrideContainerDefaults(r.ContainerDefaults); err != nil {
			return Isolation{}, err
		}
	}
	if spec.Isolation != nil && spec.Isolation.Network != nil {
		if err := iso.applyNetwork(*spec.Isolation.Network, in.Policy.Network); err != nil {
			return Isolation{}, err
		}
	}
	return iso, nil
}

// overrideQuota sets the claim's quota entries; each must be one the platform bounds, within
// that bound.
func (iso *Isolation) overrideQuota(quota corev1.ResourceList, maxQuota corev1.ResourceList) error {
	for _, name := range sortedNames(quota) {
		v := quota[name]
		field := "resources.quota[" + string(name) + "]"
		limit, ok := maxQuota[name]
		if !ok {
			allowed := "none"
			if len(maxQuota) > 0 {
				allowed = joinNames(sortedNames(maxQuota))
			}
			return &FieldError{Field: field, Message: fmt.Sprintf(
				"this platform does not let claims change the %s quota; entries a claim may change: %s", name, allowed)}
		}
		if v.Sign() < 0 {
			return &FieldError{Field: field, Message: fmt.Sprintf("%s must not be negative", v.String())}
		}
		if v.Cmp(limit) > 0 {
			return &FieldError{Field: field, Message: fmt.Sprintf(
				"%s is above this platform's maximum %s; ask for at most %s", v.String(), limit.String(), limit.String())}
		}
		if iso.Quota == nil {
			iso.Quota = corev1.ResourceList{}
		}
		iso.Quota[name] = v.DeepCopy()
		iso.ClaimQuota = append(iso.ClaimQuota, name)
	}
	return nil
}

// overrideContainerDefaults sets the claim's container defaults within the profile's limit
// range, keeping every default request at or below its default limit (the API server refuses
// a LimitRange that breaks this, which would fail the whole Helm release).
func (iso *Isolation) overrideContainerDefaults(cd *v1alpha1.ContainerDefaults) error {
	if cd == nil {
		return nil
	}
	lr := &iso.LimitRange
	set := func(field string, target *corev1.ResourceList, values corev1.ResourceList) error {
		for _, name := range sortedNames(values) {
			v := values[name]
			f := fmt.Sprintf("resources.containerDefaults.%s[%s]", field, name)
			if limit, ok := lr.Max[name]; ok && v.Cmp(limit) > 0 {
				return &FieldError{Field: f, Message: fmt.Sprintf("%s is above the size profile's per-container maximum %s", v.String(), limit.String())}
			}
			if floor, ok := lr.Min[name]; ok && v.Cmp(floor) < 0 {
				return &FieldError{Field: f, Message: fmt.Sprintf("%s is below the size profile's per-container minimum %s", v.String(), floor.String())}
			}
			if v.Sign() <= 0 {
				return &FieldError{Field: f, Message: fmt.Sprintf("%s must be more than zero", v.String())}
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
			return &FieldError{Field: "resources.containerDefaults", Message: fmt.Sprintf(
				"the default %s request %s is above the default %s limit %s; lower the request or raise the limit", name, req.String(), name, lim.String())}
		}
	}
	return nil
}

// applyNetwork applies the claim's egress choices: public egress only where the platform allows
// it, and extra ranges only inside the platform's ranges.
func (iso *Isolation) applyNetwork(n v1alpha1.NetworkIsolation, policy inputv1beta1.NetworkPolicy) error {
	if n.PublicEgress != nil {
		if *n.PublicEgress && policy.DenyPublicEgress {
			return &FieldError{Field: "isolation.network.publicEgress", Message: "this platform does not allow public egress; remove the field or set it to false"}
		}
		iso.PublicEgress = *n.PublicEgress
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
			return &FieldError{Field: field, Message: fmt.Sprintf("%q is not a CIDR such as 10.20.0.0/24", c)}
		}
		p = p.Masked()
		if !slices.ContainsFunc(allowed, func(a netip.Prefix) bool { return a.Bits() <= p.Bits() && a.Contains(p.Addr()) }) {
			ranges := "none"
			if len(policy.EgressCIDRs) > 0 {
				ranges = strings.Join(policy.EgressCIDRs, ", ")
			}
			return &FieldError{Field: field, Message: fmt.Sprintf(
				"%s is not inside a range this platform allows tenants to reach (%s)", p.String(), ranges)}
		}
		iso.EgressCIDRs = append(iso.EgressCIDRs, p.String())
	}
	slices.Sort(iso.EgressCIDRs)
	iso.EgressCIDRs = slices.Compact(iso.EgressCIDRs)
	return nil
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
