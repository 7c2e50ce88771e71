package checks

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// Network checks the declared workloads' egress against the egress the tenant's network policy
// gives its workloads: every declared flow must be let through (by the tenant's own egress or a
// platform rule), and every platform rule must carry some declared flow, so that what the
// platform opens for its own workloads is exactly what they need. A flow to an address the
// platform does not know (CIDR "") is let through only by public egress. Only the flows of pods
// the virtual cluster syncs are judged: the tenant's egress policy selects those, not the pods
// the host runs directly (the control plane, a log aggregator).
func Network(rules layer.HostRules, workloads []layer.Workload) []Violation {
	if !rules.EgressSet {
		return nil
	}
	var out []Violation
	used := make([]bool, len(rules.Egress))
	for _, w := range workloads {
		if w.VirtualNamespace == "" {
			continue
		}
		for _, f := range w.Egress {
			allowed := false
			for i, r := range rules.Egress {
				if carries(r, f) {
					allowed = true
					used[i] = true
				}
			}
			if !allowed {
				out = append(out, Violation{Check: "network", Layer: w.Layer, Workload: w.Name, Message: fmt.Sprintf(
					"its traffic to %s is not let through by the tenant's network policy", describe(f))})
			}
		}
	}
	for i, r := range rules.Egress {
		if r.Platform && !used[i] {
			out = append(out, Violation{Check: "network", Layer: "vcluster", Message: fmt.Sprintf(
				"the platform's egress rule to %s%s carries no declared workload's traffic: it opens more than the platform needs", r.CIDR, portText(string(r.Protocol), r.Port))})
		}
	}
	return out
}

// carries reports whether a rule lets a flow through: the rule's range holds the flow's whole
// range and none of the rule's exceptions touches it, on the flow's port.
func carries(r layer.EgressRule, f layer.Traffic) bool {
	if r.Port != 0 && (r.Port != f.Port || r.Protocol != f.Protocol) {
		return false
	}
	rp, err := netip.ParsePrefix(r.CIDR)
	if err != nil {
		return false
	}
	if f.CIDR == "" {
		// An unknown public address: only a rule for all addresses reaches it.
		return rp.Bits() == 0
	}
	fp, err := netip.ParsePrefix(f.CIDR)
	if err != nil {
		return false
	}
	if rp.Bits() > fp.Bits() || !rp.Contains(fp.Addr()) {
		return false
	}
	return !slices.ContainsFunc(r.Except, func(e string) bool {
		ep, err := netip.ParsePrefix(e)
		return err == nil && ep.Overlaps(fp)
	})
}

func describe(f layer.Traffic) string {
	to := f.CIDR
	if to == "" {
		to = "a public address"
	}
	return f.Why + " at " + to + portText(string(f.Protocol), f.Port)
}

func portText(protocol string, port int32) string {
	if port == 0 {
		return ""
	}
	return fmt.Sprintf(" on %s %d", protocol, port)
}
