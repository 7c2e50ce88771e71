package chart

// The tenants every chart test renders: the examples and the variants the function's own values
// tests cover (every size, high availability, each exposure, egress ranges, quota overrides,
// every Pod Security level a claim may pick), with and without Rancher.

// withLoadBalancer offers LoadBalancer exposure, which the shipped Composition does not.
func withLoadBalancer(in map[string]any) {
	exp, _ := in["exposure"].(map[string]any)
	if exp == nil {
		exp = map[string]any{}
		in["exposure"] = exp
	}
	exp["loadBalancer"] = map[string]any{"domain": "lb.tenants.example.com"}
}

// withIngressController names the platform's ingress controller.
func withIngressController(controller string) func(map[string]any) {
	return func(in map[string]any) {
		in["exposure"].(map[string]any)["ingress"].(map[string]any)["controller"] = controller
	}
}

// withoutRancher turns registration off.
func withoutRancher(in map[string]any) {
	r, _ := in["rancher"].(map[string]any)
	if r != nil {
		r["enabled"] = false
	}
}

func tenants() []tenant {
	var out []tenant
	for _, claim := range []string{"minimal.yaml", "full.yaml", "existing-project.yaml", "monitoring.yaml"} {
		out = append(out,
			tenant{name: claim, claim: claim},
			tenant{name: claim + "/without-rancher", claim: claim, input: withoutRancher})
	}
	for _, size := range []string{"small", "medium", "large"} {
		for _, exposure := range []string{"None", "Ingress", "LoadBalancer"} {
			for _, level := range []string{"baseline", "restricted"} {
				out = append(out, tenant{
					name:  "minimal.yaml/" + size + "/" + exposure + "/" + level,
					claim: "minimal.yaml",
					spec: map[string]any{
						"size":      size,
						"exposure":  map[string]any{"type": exposure},
						"isolation": map[string]any{"podSecurity": level},
					},
					input: func(in map[string]any) { withLoadBalancer(in); withoutRancher(in) },
				})
			}
		}
	}
	out = append(out,
		tenant{
			name:  "minimal.yaml/egress-and-quota",
			claim: "minimal.yaml",
			spec: map[string]any{
				"resources": map[string]any{"quota": map[string]any{"requests.cpu": "6", "count/pods": "80"}},
				"isolation": map[string]any{"network": map[string]any{"publicEgress": false, "egressCIDRs": []any{"10.20.30.0/24", "10.20.40.7/32"}}},
			},
		},
		tenant{name: "full.yaml/haproxy", claim: "full.yaml", input: withIngressController("haproxy")},
		tenant{name: "full.yaml/haproxy-ingress", claim: "full.yaml", input: withIngressController("haproxy-ingress")},
		tenant{name: "full.yaml/other", claim: "full.yaml", input: withIngressController("other")},
		tenant{
			name:  "full.yaml/LoadBalancer",
			claim: "full.yaml",
			spec:  map[string]any{"exposure": map[string]any{"type": "LoadBalancer"}},
			input: withLoadBalancer,
		},
	)
	return out
}
