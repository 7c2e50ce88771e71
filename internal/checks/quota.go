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

// share is one workload's part of a quota entry.
type share struct {
	layer, workload string
	amount          resource.Quantity
	text            string
}

// Quota counts what the declared workloads use of the host namespace's quota, the way the API
// server counts it: each container as the LimitRanger admits it (requests default to limits,
// then to the limit range's defaults), a pod's requests as the larger of its containers' sum and
// its largest init container, each replica's volume claims, each Service (a LoadBalancer is a
// load balancer and a node port per port). Platform workloads come out of the tenant's own
// quota (the Input's size profiles say so), so each bounded entry must hold them all; and the
// limit range must admit each container.
func Quota(rules layer.HostRules, workloads []layer.Workload) []Violation {
	if !rules.QuotaSet {
		return nil
	}
	var out []Violation
	used := map[corev1.ResourceName][]share{}
	add := func(w layer.Workload, name corev1.ResourceName, q resource.Quantity, times int64, text string) {
		total := q.DeepCopy()
		total.Mul(times)
		used[name] = append(used[name], share{layer: w.Layer, workload: w.Name, amount: total, text: text})
	}
	one := *resource.NewQuantity(1, resource.DecimalSI)
	for _, w := range workloads {
		n := int64(w.Replicas)
		times := fmt.Sprintf("%d × ", n)
		pod := Admitted(w.Pod, rules.LimitRange)
		for _, r := range LimitRangeRefusals(pod, rules.LimitRange) {
			out = append(out, Violation{Check: "quota", Layer: w.Layer, Workload: w.Name, Message: "the limit range refuses it: " + r})
		}
		add(w, "pods", one, n, times+"1")
		add(w, "count/pods", one, n, times+"1")
		requests, limits := podResources(pod)
		for _, k := range sortedNames(requests) {
			v := requests[k]
			add(w, "requests."+k, v, n, times+v.String())
			if k == corev1.ResourceCPU || k == corev1.ResourceMemory || k == corev1.ResourceEphemeralStorage {
				add(w, k, v, n, times+v.String())
			}
		}
		for _, k := range sortedNames(limits) {
			v := limits[k]
			add(w, "limits."+k, v, n, times+v.String())
		}
		for _, c := range w.Claims {
			add(w, "requests.storage", c, n, times+c.String())
			add(w, "persistentvolumeclaims", one, n, times+"1")
			add(w, "count/persistentvolumeclaims", one, n, times+"1")
		}
		for _, s := range w.Services {
			add(w, "services", one, 1, "1")
			add(w, "count/services", one, 1, "1")
			ports := *resource.NewQuantity(s.Ports, resource.DecimalSI)
			switch s.Type {
			case corev1.ServiceTypeLoadBalancer:
				add(w, corev1.ResourceServicesLoadBalancers, one, 1, "1")
				add(w, corev1.ResourceServicesNodePorts, ports, 1, ports.String())
			case corev1.ServiceTypeNodePort:
				add(w, corev1.ResourceServicesNodePorts, ports, 1, ports.String())
			}
		}
	}
	names := make([]corev1.ResourceName, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		hard, bounded := rules.Quota[name]
		if !bounded {
			continue
		}
		shares := used[name]
		var total resource.Quantity
		largest := 0
		parts := make([]string, 0, len(shares))
		for i, s := range shares {
			total.Add(s.amount)
			if s.amount.Cmp(shares[largest].amount) > 0 {
				largest = i
			}
			parts = append(parts, s.layer+"/"+s.workload+" "+s.text)
		}
		if total.Cmp(hard) > 0 {
			out = append(out, Violation{Check: "quota", Layer: shares[largest].layer, Workload: shares[largest].workload, Resource: name, Message: fmt.Sprintf(
				"the platform's own workloads need %s %s (%s), above the quota of %s", name, total.String(), strings.Join(parts, ", "), hard.String())})
		}
	}
	return out
}

// Admitted is a pod's containers as the API server stores them: requests default to limits (API
// defaulting), then the LimitRanger fills in the limit range's defaults.
func Admitted(spec corev1.PodSpec, lr corev1.LimitRangeItem) corev1.PodSpec {
	pod := *spec.DeepCopy()
	fill := func(cs []corev1.Container) {
		for i := range cs {
			r := &cs[i].Resources
			if r.Requests == nil {
				r.Requests = corev1.ResourceList{}
			}
			if r.Limits == nil {
				r.Limits = corev1.ResourceList{}
			}
			for k, v := range r.Limits {
				if _, ok := r.Requests[k]; !ok {
					r.Requests[k] = v
				}
			}
			for k, v := range lr.DefaultRequest {
				if _, ok := r.Requests[k]; !ok {
					r.Requests[k] = v
				}
			}
			for k, v := range lr.Default {
				if _, ok := r.Limits[k]; !ok {
					r.Limits[k] = v
				}
			}
		}
	}
	fill(pod.InitContainers)
	fill(pod.Containers)
	return pod
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
