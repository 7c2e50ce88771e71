package checks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// share is one workload's part of a quota entry: times × amount.
type share struct {
	w      *layer.Workload
	amount resource.Quantity
	times  int64
}

func (s share) text() string {
	return fmt.Sprintf("%s/%s %d × %s", s.w.Layer, s.w.Name, s.times, s.amount.String())
}

// Quota counts what the declared workloads use of the host namespace's quota, the way the API
// server counts it: each container as the LimitRanger admits it (requests default to limits,
// then to the limit range's defaults), a pod's requests as the larger of its containers' sum and
// its largest init container, each replica's volume claims, each Service (a LoadBalancer is a
// load balancer and a node port per port). Platform workloads come out of the tenant's own
// quota (the Input's size profiles say so), so each bounded entry must hold them all; and the
// limit range must admit each container. It runs on every call: only bounded entries are
// counted, in thousandths, and the words are written only for a violation.
func Quota(rules layer.HostRules, workloads []layer.Workload) []Violation {
	if !rules.QuotaSet {
		return nil
	}
	var out []Violation
	used := map[corev1.ResourceName][]share{}
	add := func(w *layer.Workload, name corev1.ResourceName, q resource.Quantity, times int64) {
		if _, bounded := rules.Quota[name]; bounded {
			used[name] = append(used[name], share{w: w, amount: q, times: times})
		}
	}
	one := *resource.NewQuantity(1, resource.DecimalSI)
	for i := range workloads {
		w := &workloads[i]
		n := int64(w.Replicas)
		pod := Admitted(w.Pod, rules.LimitRange)
		for _, r := range LimitRangeRefusals(pod, rules.LimitRange) {
			out = append(out, Violation{Check: "quota", Layer: w.Layer, Workload: w.Name, Message: "the limit range refuses it: " + r})
		}
		add(w, "pods", one, n)
		add(w, "count/pods", one, n)
		requests, limits := podResources(pod)
		for k, v := range requests {
			add(w, "requests."+k, v, n)
			if k == corev1.ResourceCPU || k == corev1.ResourceMemory || k == corev1.ResourceEphemeralStorage {
				add(w, k, v, n)
			}
		}
		for k, v := range limits {
			add(w, "limits."+k, v, n)
		}
		for _, c := range w.Claims {
			add(w, "requests.storage", c, n)
			add(w, "persistentvolumeclaims", one, n)
			add(w, "count/persistentvolumeclaims", one, n)
		}
		for _, s := range w.Services {
			add(w, "services", one, 1)
			add(w, "count/services", one, 1)
			ports := *resource.NewQuantity(s.Ports, resource.DecimalSI)
			switch s.Type {
			case corev1.ServiceTypeLoadBalancer:
				add(w, corev1.ResourceServicesLoadBalancers, one, 1)
				add(w, corev1.ResourceServicesNodePorts, ports, 1)
			case corev1.ServiceTypeNodePort:
				add(w, corev1.ResourceServicesNodePorts, ports, 1)
			}
		}
	}
	for _, name := range sortedNames(rules.Quota) {
		shares := used[name]
		hard := rules.Quota[name]
		var total int64
		for _, s := range shares {
			total += s.amount.MilliValue() * s.times
		}
		if total <= hard.MilliValue() {
			continue
		}
		// Workloads in declaration order; the largest share is named.
		largest := 0
		parts := make([]string, len(shares))
		for i, s := range shares {
			if s.amount.MilliValue()*s.times > shares[largest].amount.MilliValue()*shares[largest].times {
				largest = i
			}
			parts[i] = s.text()
		}
		sum := resource.NewMilliQuantity(total, hard.Format)
		if total%1000 == 0 {
			sum = resource.NewQuantity(total/1000, hard.Format)
		}
		out = append(out, Violation{Check: "quota", Layer: shares[largest].w.Layer, Workload: shares[largest].w.Name, Resource: name, Message: fmt.Sprintf(
			"the platform's own workloads need %s %s (%s), above the quota of %s", name, sum.String(), strings.Join(parts, ", "), hard.String())})
	}
	return out
}

// Admitted is a pod's containers as the API server stores them: requests default to limits
// (API defaulting), then the LimitRanger fills in the limit range's defaults. Only the
// containers' resources are new; the rest of the spec is shared with the declaration.
func Admitted(spec corev1.PodSpec, lr corev1.LimitRangeItem) corev1.PodSpec {
	pod := spec
	pod.InitContainers = admittedContainers(spec.InitContainers, lr)
	pod.Containers = admittedContainers(spec.Containers, lr)
	return pod
}

func admittedContainers(cs []corev1.Container, lr corev1.LimitRangeItem) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		requests := make(corev1.ResourceList, len(c.Resources.Requests)+len(lr.DefaultRequest))
		limits := make(corev1.ResourceList, len(c.Resources.Limits)+len(lr.Default))
		maps.Copy(requests, c.Resources.Requests)
		maps.Copy(limits, c.Resources.Limits)
		for k, v := range c.Resources.Limits {
			if _, ok := requests[k]; !ok {
				requests[k] = v
			}
		}
		for k, v := range lr.DefaultRequest {
			if _, ok := requests[k]; !ok {
				requests[k] = v
			}
		}
		for k, v := range lr.Default {
			if _, ok := limits[k]; !ok {
				limits[k] = v
			}
		}
		c.Resources = corev1.ResourceRequirements{Requests: requests, Limits: limits, Claims: c.Resources.Claims}
		out[i] = c
	}
	return out
}

// LimitRangeRefusals are the LimitRanger's refusals of a pod's containers: a limit above the
// maximum (or none where there is a maximum), a request below the minimum.
func LimitRangeRefusals(pod corev1.PodSpec, lr corev1.LimitRangeItem) []string {
	var out []string
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, k := range sortedNames(lr.Max) {
			l, ok := c.Resources.Limits[k]
			if max := lr.Max[k]; !ok || l.Cmp(max) > 0 {
				out = append(out, fmt.Sprintf("container %s: %s limit %s is not within the maximum %s", c.Name, k, l.String(), max.String()))
			}
		}
		for _, k := range sortedNames(lr.Min) {
			r, ok := c.Resources.Requests[k]
			if min := lr.Min[k]; !ok || r.Cmp(min) < 0 {
				out = append(out, fmt.Sprintf("container %s: %s request %s is below the minimum %s", c.Name, k, r.String(), min.String()))
			}
		}
	}
	return out
}

// podResources are a pod's requests and limits as the quota counts them: the sum of its
// containers, or its largest init container where that is more (init containers run one at a
// time, before the others).
func podResources(pod corev1.PodSpec) (requests, limits corev1.ResourceList) {
	requests, limits = corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Containers {
		addTo(requests, c.Resources.Requests)
		addTo(limits, c.Resources.Limits)
	}
	for _, c := range pod.InitContainers {
		maxInto(requests, c.Resources.Requests)
		maxInto(limits, c.Resources.Limits)
	}
	return requests, limits
}

func addTo(total, l corev1.ResourceList) {
	for k, v := range l {
		sum := total[k]
		sum.Add(v)
		total[k] = sum
	}
}

func maxInto(total, l corev1.ResourceList) {
	for k, v := range l {
		if cur, ok := total[k]; !ok || v.Cmp(cur) > 0 {
			total[k] = v.DeepCopy()
		}
	}
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName { return slices.Sorted(maps.Keys(l)) }
