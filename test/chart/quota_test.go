package chart

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	vconfig "github.com/loft-sh/vcluster/config"

	"github.com/tenantcluster/function-tenantcluster/internal/checks"
)

// workload is pods the platform runs in a tenant's host namespace: a template and how many.
type workload struct {
	name     string
	replicas int32
	template corev1.PodTemplateSpec
	claims   []corev1.PersistentVolumeClaim
}

// platformWorkloads are the pods the chart's objects make in the host namespace, plus CoreDNS,
// which the syncer deploys inside the virtual cluster from the chart's configuration and which
// therefore runs as a synced pod in the host namespace too.
func platformWorkloads(t *testing.T, out rendered) []workload {
	t.Helper()
	var ws []workload
	for _, u := range out.objects {
		switch u.GetKind() {
		case "StatefulSet":
			var s appsv1.StatefulSet
			into(t, u, &s)
			ws = append(ws, workload{name: "StatefulSet/" + s.Name, replicas: replicasOf(s.Spec.Replicas), template: s.Spec.Template, claims: pvcs(s.Spec.VolumeClaimTemplates)})
		case "Deployment":
			var d appsv1.Deployment
			into(t, u, &d)
			ws = append(ws, workload{name: "Deployment/" + d.Name, replicas: replicasOf(d.Spec.Replicas), template: d.Spec.Template})
		}
	}
	cfg := &vconfig.Config{}
	if err := vconfig.UnmarshalYAMLStrict(out.config, cfg); err != nil {
		t.Fatal(err)
	}
	if dns := cfg.ControlPlane.CoreDNS; dns.Enabled && !dns.Embedded {
		c := corev1.Container{Name: "coredns", Resources: corev1.ResourceRequirements{
			Requests: resourceList(t, dns.Deployment.Resources.Requests),
			Limits:   resourceList(t, dns.Deployment.Resources.Limits),
		}}
		ws = append(ws, workload{name: "CoreDNS (synced)", replicas: int32(dns.Deployment.Replicas), template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}) //nolint:gosec // a replica count
	}
	return ws
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func pvcs(templates []corev1.PersistentVolumeClaim) []corev1.PersistentVolumeClaim { return templates }

func resourceList(t *testing.T, m map[string]any) corev1.ResourceList {
	t.Helper()
	l := corev1.ResourceList{}
	for k, v := range m {
		q, err := resource.ParseQuantity(fmt.Sprint(v))
		if err != nil {
			t.Fatalf("resource %s: %v", k, err)
		}
		l[corev1.ResourceName(k)] = q
	}
	return l
}

// usage is what the platform's own objects count against the namespace's quota, the way the
// API server's quota evaluators count: pods by k8s.io/component-helpers' PodRequests and
// PodLimits (what the pod evaluator calls), volume claims by their storage requests, Services by
// type (a LoadBalancer counts one load balancer and a node port per port, a NodePort Service a
// node port per port: k8s.io/kubernetes pkg/quota/v1/evaluator/core/services.go).
func usage(t *testing.T, out rendered, lr corev1.LimitRangeItem) (corev1.ResourceList, []string) {
	t.Helper()
	used := corev1.ResourceList{}
	add := func(name string, q resource.Quantity, times int64) {
		total := used[corev1.ResourceName(name)]
		for range times {
			total.Add(q)
		}
		used[corev1.ResourceName(name)] = total
	}
	var refusals []string
	for _, w := range platformWorkloads(t, out) {
		// The LimitRanger's defaults and bounds, as the function's own quota check applies them
		// to its declared workloads (one reading of the LimitRanger, shared).
		pod := &corev1.Pod{ObjectMeta: w.template.ObjectMeta, Spec: checks.Admitted(w.template.Spec, lr)}
		for _, r := range checks.LimitRangeRefusals(pod.Spec, lr) {
			refusals = append(refusals, w.name+": "+r)
		}
		n := int64(w.replicas)
		add("count/pods", *resource.NewQuantity(1, resource.DecimalSI), n)
		add("pods", *resource.NewQuantity(1, resource.DecimalSI), n)
		for k, v := range resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{}) {
			add("requests."+string(k), v, n)
		}
		for k, v := range resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{}) {
			add("limits."+string(k), v, n)
		}
		for _, c := range w.claims {
			add("count/persistentvolumeclaims", *resource.NewQuantity(1, resource.DecimalSI), n)
			add("requests.storage", c.Spec.Resources.Requests[corev1.ResourceStorage], n)
		}
	}
	one := *resource.NewQuantity(1, resource.DecimalSI)
	for _, u := range out.all("Service") {
		var s corev1.Service
		into(t, u, &s)
		add("count/services", one, 1)
		ports := *resource.NewQuantity(int64(len(s.Spec.Ports)), resource.DecimalSI)
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			add("services.loadbalancers", one, 1)
			add("services.nodeports", ports, 1)
		case corev1.ServiceTypeNodePort:
			add("services.nodeports", ports, 1)
		}
	}
	// CoreDNS's Service, synced from the virtual cluster.
	add("count/services", one, 1)
	add("count/configmaps", *resource.NewQuantity(int64(len(out.all("ConfigMap"))), resource.DecimalSI), 1)
	add("count/secrets", *resource.NewQuantity(int64(len(out.all("Secret"))), resource.DecimalSI), 1)
	return used, refusals
}

// TestPlatformWorkloadsFitQuota renders the real chart for every tenant and checks that what
// the platform itself runs in the tenant's host namespace (the control plane, etcd when highly
// available, CoreDNS, their volumes and Services) is admitted by the tenant's own LimitRange
// and fits the tenant's own ResourceQuota, as the host API server would count it. A platform
// object over quota is refused at creation: a highly available control plane loses its third
// etcd member, an exposed one its LoadBalancer.
func TestPlatformWorkloadsFitQuota(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			var quota corev1.ResourceQuota
			into(t, out.one(t, "ResourceQuota", "vc-"+r.name), &quota)
			var limits corev1.LimitRange
			into(t, out.one(t, "LimitRange", "vc-"+r.name), &limits)
			if len(limits.Spec.Limits) != 1 {
				t.Fatalf("expected one LimitRange item, got %d", len(limits.Spec.Limits))
			}
			used, refusals := usage(t, out, limits.Spec.Limits[0])
			for _, refusal := range refusals {
				t.Errorf("the tenant's LimitRange refuses the platform's %s", refusal)
			}
			var over []string
			for name, hard := range quota.Spec.Hard {
				if u, ok := used[name]; ok && u.Cmp(hard) > 0 {
					over = append(over, fmt.Sprintf("%s: %s used of %s", name, u.String(), hard.String()))
				}
			}
			sort.Strings(over)
			if len(over) > 0 {
				t.Errorf("the platform's own objects exceed the tenant's quota:\n  %s", strings.Join(over, "\n  "))
			}
		})
	}
}

// TestRetentionPolicyReachesTheStatefulSet: the profile's retentionPolicy must become the
// control plane StatefulSet's volume claim retention (the chart renders it only for a
// StatefulSet; a highly available control plane keeps its data in etcd's).
func TestRetentionPolicyReachesTheStatefulSet(t *testing.T) {
	for _, policy := range []string{"Retain", "Delete"} {
		t.Run(policy, func(t *testing.T) {
			r := compose(t, tenant{name: policy, claim: "minimal.yaml", input: func(in map[string]any) {
				small := in["sizes"].(map[string]any)["small"].(map[string]any)
				small["persistence"].(map[string]any)["retentionPolicy"] = policy
			}})
			var s appsv1.StatefulSet
			into(t, render(t, r).one(t, "StatefulSet", r.name), &s)
			got := s.Spec.PersistentVolumeClaimRetentionPolicy
			if got == nil || string(got.WhenDeleted) != policy {
				t.Errorf("the StatefulSet's persistentVolumeClaimRetentionPolicy is %+v, want whenDeleted %s", got, policy)
			}
		})
	}
}
