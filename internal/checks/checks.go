// Package checks holds the rules that cut across layers, judged over every workload the layers
// declare against the rules they put on the tenant's host namespace: Pod Security (the API
// server's own checks), the quota (counted the way the API server's quota evaluators count),
// and the network policy (the declared traffic is let through, and no platform rule opens more
// than some declared workload needs). A layer adds nothing here: declaring its workloads is
// enough for them to be judged.
package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// Violation is one broken rule, naming the layer and the workload (or the rule) that breaks it.
type Violation struct {
	// Check is "pod security", "quota" or "network".
	Check string
	// Layer and Workload name what breaks the rule; Workload is empty for a rule no workload
	// needs.
	Layer, Workload string
	// Message says what is wrong, in words a platform engineer can act on.
	Message string
	// Resource is the quota entry a quota violation is about ("" for others).
	Resource corev1.ResourceName
}

func (v Violation) String() string {
	who := "layer " + v.Layer
	if v.Workload != "" {
		who += ", workload " + v.Workload
	}
	return fmt.Sprintf("%s check: %s: %s", v.Check, who, v.Message)
}

// Run judges the declared workloads against the host namespace's rules, every check in turn.
func Run(rules layer.HostRules, workloads []layer.Workload) []Violation {
	var out []Violation
	out = append(out, PodSecurity(rules, workloads)...)
	out = append(out, Quota(rules, workloads)...)
	out = append(out, Network(rules, workloads)...)
	return out
}

// Join words violations for a result message.
func Join(vs []Violation) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, "; ")
}
