package checks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// restricted is a pod that meets the Pod Security Standard "restricted".
func restricted(cpu string) corev1.PodSpec {
	return corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{
			Name: "app", Image: "example/app:1",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}

// hostRules are a restricted namespace with a quota of 1 CPU and public egress plus one platform
// rule to 10.0.0.10 on 443.
func hostRules() layer.HostRules {
	return layer.HostRules{
		PodSecurity:        "restricted",
		VirtualPodSecurity: "restricted",
		VirtualExemptions:  []string{"cattle-system"},
		Quota:              corev1.ResourceList{"requests.cpu": resource.MustParse("1"), "count/pods": resource.MustParse("3")},
		LimitRange:         corev1.LimitRangeItem{Max: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}},
		QuotaSet:           true,
		Egress: []layer.EgressRule{
			{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}, Why: "public egress"},
			{CIDR: "10.0.0.10/32", Protocol: corev1.ProtocolTCP, Port: 443, Platform: true},
		},
		EgressSet: true,
	}
}

// TestChecks gives each check a workload that keeps every rule but one, and checks that the
// violation names the check, the layer and the workload; and that workloads keeping every rule
// raise none.
func TestChecks(t *testing.T) {
	agent := layer.Traffic{CIDR: "10.0.0.10/32", Protocol: corev1.ProtocolTCP, Port: 443, Why: "Rancher"}
	cases := map[string]struct {
		reason    string
		workloads []layer.Workload
		rules     func(*layer.HostRules)
		want      []string // Check/Layer/Workload of each violation
		message   string   // a part of the first violation's message
	}{
		"AllKept": {
			reason: "A restricted pod within quota whose traffic the policy carries, and the platform rule carried.",
			workloads: []layer.Workload{
				{Layer: "a", Name: "one", Replicas: 2, VirtualNamespace: "default", Pod: restricted("250m"), Egress: []layer.Traffic{agent}},
				{Layer: "b", Name: "two", Replicas: 1, VirtualNamespace: "kube-system", Pod: restricted("250m"), Egress: []layer.Traffic{{CIDR: "203.0.113.0/24", Port: 443, Protocol: corev1.ProtocolTCP}}},
			},
		},
		"TooPrivileged": {
			reason:    "A privileged container is refused by the host namespace's restricted level.",
			workloads: []layer.Workload{{Layer: "logging", Name: "aggregator", Replicas: 1, VirtualNamespace: "default", Pod: privileged(restricted("100m")), Egress: []layer.Traffic{agent}}},
			want:      []string{"pod security/logging/aggregator"},
			message:   "the host namespace enforces restricted, which refuses its pods: privileged",
		},
		"TooPrivilegedInsideTheVirtualCluster": {
			reason: "A pod the virtual cluster creates is judged at the virtual level too, unless its namespace is exempt.",
			rules:  func(r *layer.HostRules) { r.PodSecurity = "privileged" },
			workloads: []layer.Workload{
				{Layer: "rancher", Name: "exempt", Replicas: 1, VirtualNamespace: "cattle-system", Pod: privileged(restricted("100m")), Egress: []layer.Traffic{agent}},
				{Layer: "vcluster", Name: "CoreDNS", Replicas: 1, VirtualNamespace: "kube-system", Pod: privileged(restricted("100m"))},
			},
			want:    []string{"pod security/vcluster/CoreDNS"},
			message: "the virtual cluster enforces restricted in namespace kube-system",
		},
		"TooLarge": {
			reason: "Three replicas of 500m need 1500m of a 1 CPU quota: the largest share is named.",
			workloads: []layer.Workload{
				{Layer: "monitoring", Name: "prometheus", Replicas: 3, VirtualNamespace: "default", Pod: restricted("500m"), Egress: []layer.Traffic{agent}},
			},
			want:    []string{"quota/monitoring/prometheus"},
			message: "the platform's own workloads need requests.cpu 1500m (monitoring/prometheus 3 × 500m), above the quota of 1",
		},
		"AboveTheLimitRange": {
			reason:    "A container above the limit range's maximum is refused by the LimitRanger.",
			workloads: []layer.Workload{{Layer: "backup", Name: "job", Replicas: 1, VirtualNamespace: "default", Pod: restricted("3"), Egress: []layer.Traffic{agent}}},
			want:      []string{"quota/backup/job", "quota/backup/job"},
			message:   "the limit range refuses it: container app: cpu limit 3 is not within the maximum 2",
		},
		"TrafficNotAllowed": {
			reason:    "Public egress excepts 10.0.0.0/8, and no rule carries a sink at 10.1.2.3.",
			workloads: []layer.Workload{{Layer: "logging", Name: "aggregator", Replicas: 1, VirtualNamespace: "default", Pod: restricted("100m"), Egress: []layer.Traffic{agent, {CIDR: "10.1.2.3/32", Protocol: corev1.ProtocolTCP, Port: 9200, Why: "the tenant's log sink"}}}},
			want:      []string{"network/logging/aggregator"},
			message:   "its traffic to the tenant's log sink at 10.1.2.3/32 on TCP 9200 is not let through",
		},
		"WrongPort": {
			reason:    "The platform rule carries TCP 443 only.",
			workloads: []layer.Workload{{Layer: "rancher", Name: "cluster agent", Replicas: 1, VirtualNamespace: "default", Pod: restricted("100m"), Egress: []layer.Traffic{agent, {CIDR: "10.0.0.10/32", Protocol: corev1.ProtocolTCP, Port: 8443}}}},
			want:      []string{"network/rancher/cluster agent"},
		},
		"PlatformRuleUnused": {
			reason:    "A platform rule no declared workload needs opens more than the platform needs.",
			workloads: []layer.Workload{{Layer: "vcluster", Name: "control plane", Replicas: 1, VirtualNamespace: "default", Pod: restricted("100m")}},
			want:      []string{"network/vcluster/"},
			message:   "the platform's egress rule to 10.0.0.10/32 on TCP 443 carries no declared workload's traffic",
		},
		"HostPodsNotJudgedByTheTenantsEgress": {
			reason: "A pod the host runs directly (a log aggregator) is selected by none of the tenant's policies: its flows are not judged, and carry no platform rule.",
			workloads: []layer.Workload{
				{Layer: "logging", Name: "log aggregator", Replicas: 1, Pod: restricted("100m"), Egress: []layer.Traffic{{CIDR: "10.1.2.3/32", Port: 9200, Protocol: corev1.ProtocolTCP}, agent}},
			},
			want: []string{"network/vcluster/"},
		},
		"UnknownAddressNeedsPublicEgress": {
			reason: "Traffic to an address the platform does not know is carried only by public egress.",
			rules: func(r *layer.HostRules) {
				r.Egress = r.Egress[1:]
			},
			workloads: []layer.Workload{{Layer: "rancher", Name: "cluster agent", Replicas: 1, VirtualNamespace: "default", Pod: restricted("100m"), Egress: []layer.Traffic{agent, {Protocol: corev1.ProtocolTCP, Port: 443, Why: "Rancher's server"}}}},
			want:      []string{"network/rancher/cluster agent"},
			message:   "its traffic to Rancher's server at a public address on TCP 443 is not let through",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rules := hostRules()
			if tc.rules != nil {
				tc.rules(&rules)
			}
			vs := Run(rules, tc.workloads)
			var got []string
			for _, v := range vs {
				got = append(got, v.Check+"/"+v.Layer+"/"+v.Workload)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("%s\nviolations: -want, +got:\n%s\n%s", tc.reason, diff, Join(vs))
			}
			if tc.message != "" && !strings.Contains(vs[0].Message, tc.message) {
				t.Errorf("%s\nthe message %q does not say %q", tc.reason, vs[0].Message, tc.message)
			}
			if len(vs) > 0 && !strings.Contains(vs[0].String(), "layer "+vs[0].Layer) {
				t.Errorf("%s\n%q does not name the layer", tc.reason, vs[0])
			}
		})
	}
}

func privileged(p corev1.PodSpec) corev1.PodSpec {
	p.Containers[0].SecurityContext.Privileged = ptr.To(true)
	return p
}
