package v1beta1

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// chartDefaultVolumeSize is the vcluster chart's data volume when a profile sets none.
var chartDefaultVolumeSize = resource.MustParse("5Gi")

// validateOwnFit checks that what a profile itself puts into the tenant's host namespace fits
// the quota and limit range the same profile gives that namespace: the host API server counts
// the control plane, its etcd and CoreDNS against the tenant's ResourceQuota and judges their
// containers by its LimitRange, and refuses what does not fit. A highly available control plane
// that lost its third etcd member that way would never be noticed until the second failed.
// This covers what the profile decides (replicas, volumes, control plane resources);
// test/chart renders the real chart and counts everything, chart defaults included.
func (p SizeProfile) validateOwnFit(allowPro bool) error {
	replicas := int64(p.Replicas)
	size := chartDefaultVolumeSize
	if p.Persistence != nil && p.Persistence.Size != nil {
		size = *p.Persistence.Size
	}
	// One volume per data store member: the control plane's own (one replica, or embedded
	// etcd), or each deployed etcd member's.
	storage := size.DeepCopy()
	storage.Mul(replicas)
	pods := replicas + 1 // CoreDNS runs as a pod of the tenant's namespace too
	members := "one replica"
	if p.Replicas > 1 {
		members = fmt.Sprintf("%d embedded etcd members", p.Replicas)
		if !allowPro {
			pods += replicas
			members = fmt.Sprintf("%d etcd members", p.Replicas)
		}
	}
	need := corev1.ResourceList{
		"requests.storage":             storage,
		"count/persistentvolumeclaims": *resource.NewQuantity(replicas, resource.DecimalSI),
		"count/pods":                   *resource.NewQuantity(pods, resource.DecimalSI),
	}
	why := map[corev1.ResourceName]string{
		"requests.storage":             fmt.Sprintf("%s × %s data volume", members, size.String()),
		"count/persistentvolumeclaims": members + ", a volume each",
		"count/pods":                   fmt.Sprintf("%d control plane and data store pods and CoreDNS", pods),
	}
	for name, q := range p.ControlPlane.Requests {
		total := q.DeepCopy()
		total.Mul(replicas)
		need["requests."+name] = total
		why["requests."+name] = fmt.Sprintf("%d control plane replicas × %s", replicas, q.String())
	}
	for name, q := range p.ControlPlane.Limits {
		total := q.DeepCopy()
		total.Mul(replicas)
		need["limits."+name] = total
		why["limits."+name] = fmt.Sprintf("%d control plane replicas × %s", replicas, q.String())
	}
	for _, name := range sortedResourceNames(need) {
		hard, bounded := p.Quota[name]
		if n := need[name]; bounded && n.Cmp(hard) > 0 {
			return fmt.Errorf("the profile's own workloads need %s %s (%s), above its quota of %s; raise quota.%s to at least %s",
				name, n.String(), why[name], hard.String(), name, n.String())
		}
	}
	if lr := p.LimitRange; lr != nil {
		for _, name := range sortedResourceNames(lr.Max) {
			if l, max := p.ControlPlane.Limits[name], lr.Max[name]; !l.IsZero() && l.Cmp(max) > 0 {
				return fmt.Errorf("the control plane's %s limit %s is above the profile's limitRange.max %s, which would refuse it", name, l.String(), max.String())
			}
		}
		for _, name := range sortedResourceNames(lr.Min) {
			if r, min := p.ControlPlane.Requests[name], lr.Min[name]; !r.IsZero() && r.Cmp(min) < 0 {
				return fmt.Errorf("the control plane's %s request %s is below the profile's limitRange.min %s, which would refuse it", name, r.String(), min.String())
			}
		}
	}
	return nil
}

func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
