package chart

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// shape is what a declaration states of a workload, in a form the rendered one can be compared
// with: replicas, each container's image, resources and security context, the pod's security
// context, each volume's name and kind, each replica's claims.
type shape struct {
	Replicas   int32
	Containers []string
	Pod        string
	Volumes    []string
	Claims     []string
}

func shapeOf(replicas int32, spec corev1.PodSpec, claims []resource.Quantity) shape {
	s := shape{Replicas: replicas, Pod: fmt.Sprintf("%+v", spec.SecurityContext)}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		s.Containers = append(s.Containers, fmt.Sprintf("%s %s requests=%v limits=%v security=%+v",
			c.Name, c.Image, quantities(c.Resources.Requests), quantities(c.Resources.Limits), c.SecurityContext))
	}
	for _, v := range spec.Volumes {
		kind := "other"
		switch {
		case v.EmptyDir != nil:
			kind = "emptyDir"
		case v.Secret != nil:
			kind = "secret " + v.Secret.SecretName
		case v.ConfigMap != nil:
			kind = "configMap " + v.ConfigMap.Name
		case v.PersistentVolumeClaim != nil:
			kind = "persistentVolumeClaim"
		case v.HostPath != nil:
			kind = "hostPath"
		}
		s.Volumes = append(s.Volumes, v.Name+": "+kind)
	}
	for _, c := range claims {
		s.Claims = append(s.Claims, c.String())
	}
	return s
}

// quantities prints a resource list canonically ("1000m" and "1" are the same CPU).
func quantities(l corev1.ResourceList) string {
	var out []string
	for _, k := range sortedKeys(l) {
		q := l[k]
		out = append(out, fmt.Sprintf("%s:%d", k, q.MilliValue()))
	}
	return strings.Join(out, ",")
}

func sortedKeys(l corev1.ResourceList) []corev1.ResourceName { return slices.Sorted(maps.Keys(l)) }

// renderedWorkloads are the workloads the real chart makes for the release, by the names the
// vcluster layer declares them under: the control plane (StatefulSet or Deployment), etcd when
// deployed, and CoreDNS as vcluster's syncer renders it.
func renderedWorkloads(t *testing.T, r release, out rendered) map[string]shape {
	t.Helper()
	ws := map[string]shape{}
	for _, u := range out.objects {
		name := "control plane"
		if u.GetName() == r.name+"-etcd" {
			name = "etcd"
		}
		switch u.GetKind() {
		case "StatefulSet":
			var s appsv1.StatefulSet
			into(t, u, &s)
			var claims []resource.Quantity
			for _, c := range s.Spec.VolumeClaimTemplates {
				claims = append(claims, c.Spec.Resources.Requests[corev1.ResourceStorage])
			}
			ws[name] = shapeOf(replicasOf(s.Spec.Replicas), s.Spec.Template.Spec, claims)
		case "Deployment":
			var d appsv1.Deployment
			into(t, u, &d)
			ws[name] = shapeOf(replicasOf(d.Spec.Replicas), d.Spec.Template.Spec, nil)
		}
	}
	dns := coreDNSDeployment(t, out.config)
	ws["CoreDNS"] = shapeOf(replicasOf(dns.Spec.Replicas), dns.Spec.Template.Spec, nil)
	return ws
}

// TestDeclaredWorkloadsAreTheChartsOwn holds the vcluster layer's declaration of what the chart
// runs in the tenant's host namespace against the real chart's render for every tenant: the
// cross-cutting checks (Pod Security, quota, network policy) judge the declaration, so it must be
// what the chart makes. A chart upgrade that changes an image, a default resource or a volume
// fails here until the declaration follows.
func TestDeclaredWorkloadsAreTheChartsOwn(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			declared := map[string]shape{}
			services := map[corev1.ServiceType]int{}
			for _, w := range r.declared.Workloads {
				if w.Layer != "vcluster" {
					continue
				}
				declared[w.Name] = shapeOf(w.Replicas, w.Pod, w.Claims)
				for _, s := range w.Services {
					services[s.Type]++
				}
			}
			if diff := cmp.Diff(renderedWorkloads(t, r, out), declared); diff != "" {
				t.Errorf("the vcluster layer declares what the chart does not make: -rendered, +declared:\n%s", diff)
			}
			// The chart's Services, and CoreDNS's kube-dns synced from the virtual cluster.
			rendered := map[corev1.ServiceType]int{corev1.ServiceTypeClusterIP: 1}
			for _, u := range out.all("Service") {
				var s corev1.Service
				into(t, u, &s)
				typ := s.Spec.Type
				if typ == "" {
					typ = corev1.ServiceTypeClusterIP
				}
				rendered[typ]++
			}
			if diff := cmp.Diff(rendered, services); diff != "" {
				t.Errorf("the vcluster layer declares other Services than the chart makes: -rendered, +declared:\n%s", diff)
			}
		})
	}
}

// TestDeclaredTrafficIsLetThrough evaluates the real NetworkPolicies the chart renders for every
// tenant against every flow a layer declares for its workloads (Rancher's agents to Rancher, the
// log aggregator to the tenant's sinks), for pods with the labels they will carry:
// the function's own network check judges its reading of the values, this judges the chart's
// policies with Kubernetes' semantics.
func TestDeclaredTrafficIsLetThrough(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			flows := 0
			for _, w := range r.declared.Workloads {
				// A synced pod carries vcluster's labels; a pod the host runs directly, its own.
				pod := labels.Set(w.Labels)
				if w.VirtualNamespace != "" {
					pod = syncedPod(r.name, w.VirtualNamespace)
				} else if len(w.Egress) > 0 && len(w.Labels) == 0 {
					t.Errorf("layer %s, workload %s declares traffic but not its pods' labels, which the policies select by", w.Layer, w.Name)
				}
				for _, f := range w.Egress {
					ip := publicAddress
					if f.CIDR != "" {
						ip = netip.MustParsePrefix(f.CIDR).Addr()
					}
					flows++
					if !podEgressAllowed(t, out, pod, ip, f.Port) {
						t.Errorf("layer %s, workload %s: the chart's network policies refuse its traffic to %s (%s) on %d", w.Layer, w.Name, f.Why, ip, f.Port)
					}
				}
			}
			if rancherOn(r.declared.Workloads) && flows == 0 {
				t.Errorf("Rancher's agents run but declare no traffic to Rancher")
			}
		})
	}
}

// publicAddress stands for an address on the internet the platform does not name.
var publicAddress = netip.MustParseAddr("203.0.113.10")

func rancherOn(ws []layer.Workload) bool {
	return slices.ContainsFunc(ws, func(w layer.Workload) bool { return w.Layer == "rancher" })
}
