package chart

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	vconfig "github.com/loft-sh/vcluster/config"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// intent is what a tenant was promised, read from its claim and the platform's input, not
// from the values the function made of them.
type intent struct {
	publicEgress bool
	egressCIDRs  []netip.Prefix
	rancher      []netip.Prefix // Rancher's addresses, on 443, when registered
	quota        corev1.ResourceList
	limits       map[string]corev1.ResourceList // default, defaultRequest, max, min
	exposedHost  string
}

func intentOf(t *testing.T, tc tenant, r release) intent {
	t.Helper()
	xr := claimSpec(t, tc)
	in := compositionInput(t)
	if tc.input != nil {
		tc.input(in)
	}
	size, _ := xr["size"].(string)
	if size == "" {
		size = in["defaults"].(map[string]any)["size"].(string)
	}
	profile := in["sizes"].(map[string]any)[size].(map[string]any)
	network, _ := in["policy"].(map[string]any)["network"].(map[string]any)
	deny, _ := network["denyPublicEgress"].(bool)
	it := intent{publicEgress: !deny, quota: list(t, profile["quota"]), limits: map[string]corev1.ResourceList{}}
	if iso, ok := xr["isolation"].(map[string]any); ok {
		if n, ok := iso["network"].(map[string]any); ok {
			if p, ok := n["publicEgress"].(bool); ok {
				it.publicEgress = p
			}
			for _, c := range asSlice(n["egressCIDRs"]) {
				it.egressCIDRs = append(it.egressCIDRs, netip.MustParsePrefix(c.(string)))
			}
		}
	}
	if res, ok := xr["resources"].(map[string]any); ok {
		for k, v := range list(t, res["quota"]) {
			it.quota[k] = v
		}
	}
	lr, _ := profile["limitRange"].(map[string]any)
	for _, k := range []string{"default", "defaultRequest", "max", "min"} {
		it.limits[k] = list(t, lr[k])
	}
	if res, ok := xr["resources"].(map[string]any); ok {
		if cd, ok := res["containerDefaults"].(map[string]any); ok {
			for k, v := range list(t, cd["limits"]) {
				it.limits["default"][k] = v
			}
			for k, v := range list(t, cd["requests"]) {
				it.limits["defaultRequest"][k] = v
			}
		}
	}
	if ranch, ok := in["rancher"].(map[string]any); ok && ranch["enabled"] == true {
		for _, c := range asSlice(ranch["egressCIDRs"]) {
			it.rancher = append(it.rancher, netip.MustParsePrefix(c.(string)))
		}
	}
	exposure := "None"
	if e, ok := xr["exposure"].(map[string]any); ok {
		exposure, _ = e["type"].(string)
	}
	switch exposure {
	case "Ingress":
		it.exposedHost = hostID(r) + "." + in["exposure"].(map[string]any)["ingress"].(map[string]any)["domain"].(string)
	case "LoadBalancer":
		it.exposedHost = hostID(r) + "." + in["exposure"].(map[string]any)["loadBalancer"].(map[string]any)["domain"].(string)
		one := resource.MustParse("1")
		it.quota["services.loadbalancers"] = one
		it.quota["services.nodeports"] = one
	}
	return it
}

// hostID is the tenant ID, the host namespace without the platform's prefix.
func hostID(r release) string { return strings.TrimPrefix(r.namespace, "tenant-") }

func claimSpec(t *testing.T, tc tenant) map[string]any {
	t.Helper()
	r := map[string]any{}
	raw := readClaim(t, tc.claim)
	if s, ok := raw["spec"].(map[string]any); ok {
		r = s
	}
	for k, v := range tc.spec {
		r[k] = v
	}
	return r
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func list(t *testing.T, v any) corev1.ResourceList {
	t.Helper()
	m, _ := v.(map[string]any)
	return resourceList(t, m)
}

// egressAllowed evaluates the rendered NetworkPolicies for a tenant's workload pod (labelled as
// vcluster labels the pods it syncs) connecting to an address outside the cluster, with
// Kubernetes' semantics: denied once a policy selects the pod for egress, unless a rule of one of
// them allows it (an ipBlock containing the address and not excepting it, or no peers; the
// ports matching).
func egressAllowed(t *testing.T, out rendered, release string, ip netip.Addr, port int32) bool {
	t.Helper()
	return podEgressAllowed(t, out, syncedPod(release, "default"), ip, port)
}

// syncedPod is the labels vcluster gives a pod of a virtual namespace on the host.
func syncedPod(release, namespace string) labels.Set {
	return labels.Set{"vcluster.loft.sh/managed-by": release, "vcluster.loft.sh/namespace": namespace}
}

// podEgressAllowed evaluates the rendered NetworkPolicies for a pod with these labels, as
// Kubernetes does: unselected by any egress policy, everything goes; selected, a rule must allow.
func podEgressAllowed(t *testing.T, out rendered, pod labels.Set, ip netip.Addr, port int32) bool {
	t.Helper()
	selected, allowed := false, false
	for _, u := range out.all("NetworkPolicy") {
		var np networkingv1.NetworkPolicy
		into(t, u, &np)
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(pod) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			continue
		}
		selected = true
		for _, rule := range np.Spec.Egress {
			if portsMatch(rule.Ports, port) && peersMatch(t, rule.To, ip) {
				allowed = true
			}
		}
	}
	return !selected || allowed
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) && (p.Port == nil || p.Port.Type == intstr.Int && p.Port.IntVal == port) {
			return true
		}
	}
	return false
}

func peersMatch(t *testing.T, peers []networkingv1.NetworkPolicyPeer, ip netip.Addr) bool {
	t.Helper()
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.IPBlock == nil {
			continue // pod and namespace selectors select pods, not outside addresses
		}
		if netip.MustParsePrefix(p.IPBlock.CIDR).Contains(ip) && !slices.ContainsFunc(p.IPBlock.Except, func(e string) bool {
			return netip.MustParsePrefix(e).Contains(ip)
		}) {
			return true
		}
	}
	return false
}

// TestIsolationHoldsTheTenantsNumbers renders the real chart for every tenant and checks, against
// what its claim and the platform's input promise (not against the function's values), what
// the chart makes of them: the ResourceQuota and LimitRange numbers, the egress the
// NetworkPolicies let through for sample destinations (the internet, private ranges, the cloud
// metadata address, the tenant's own ranges, Rancher), and the names the API server's
// certificate and the kubeconfigs carry. A value the chart silently ignored fails here.
func TestIsolationHoldsTheTenantsNumbers(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			it := intentOf(t, tc, r)

			var quota corev1.ResourceQuota
			into(t, out.one(t, "ResourceQuota", "vc-"+r.name), &quota)
			for name, want := range it.quota {
				if got, ok := quota.Spec.Hard[name]; !ok || got.Cmp(want) != 0 {
					t.Errorf("quota %s: rendered %v, promised %s", name, quota.Spec.Hard[name], want.String())
				}
			}
			var lr corev1.LimitRange
			into(t, out.one(t, "LimitRange", "vc-"+r.name), &lr)
			item := lr.Spec.Limits[0]
			for kind, got := range map[string]corev1.ResourceList{"default": item.Default, "defaultRequest": item.DefaultRequest, "max": item.Max, "min": item.Min} {
				for name, want := range it.limits[kind] {
					if g, ok := got[name]; !ok || g.Cmp(want) != 0 {
						t.Errorf("limit range %s %s: rendered %v, promised %s", kind, name, got[name], want.String())
					}
				}
			}

			check := func(what string, ip string, port int32, want bool) {
				if got := egressAllowed(t, out, r.name, netip.MustParseAddr(ip), port); got != want {
					t.Errorf("egress to %s (%s:%d): allowed %v, want %v", what, ip, port, got, want)
				}
			}
			check("the internet", "8.8.8.8", 443, it.publicEgress)
			check("cloud metadata", "169.254.169.254", 80, false)
			check("a private range not given", "10.99.0.1", 443, false)
			check("another private range", "192.168.1.1", 443, false)
			for _, p := range it.egressCIDRs {
				check("the tenant's range "+p.String(), p.Addr().String(), 5432, true)
			}
			for _, p := range it.rancher {
				check("Rancher", p.Addr().String(), 443, true)
			}

			cfg := &vconfig.Config{}
			if err := vconfig.UnmarshalYAMLStrict(out.config, cfg); err != nil {
				t.Fatal(err)
			}
			internal := r.name + "." + r.namespace + ".svc"
			wantSANs := []string{internal}
			servers := []string{"https://" + internal + ":443"}
			if it.exposedHost != "" {
				wantSANs = append(wantSANs, it.exposedHost)
				servers = append(servers, "https://"+it.exposedHost+":443")
			}
			for _, san := range wantSANs {
				if !slices.Contains(cfg.ControlPlane.Proxy.ExtraSANs, san) {
					t.Errorf("the API server's certificate does not name %s (extraSANs %v)", san, cfg.ControlPlane.Proxy.ExtraSANs)
				}
			}
			var got []string
			for _, s := range cfg.ExportKubeConfig.AdditionalSecrets {
				got = append(got, s.Server)
				if s.Namespace != r.namespace {
					t.Errorf("kubeconfig Secret %s is written to %s, not the host namespace %s", s.Name, s.Namespace, r.namespace)
				}
			}
			slices.Sort(got)
			slices.Sort(servers)
			if !slices.Equal(got, servers) {
				t.Errorf("kubeconfig servers %v, want %v", got, servers)
			}
		})
	}
}
