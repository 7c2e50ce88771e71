package checks

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
)

// evaluator is the Pod Security Admission's own evaluator, the code every API server runs.
var evaluator = sync.OnceValues(func() (policy.Evaluator, error) {
	return policy.NewEvaluator(policy.DefaultChecks(), nil)
})

// PodSecurity judges every declared workload's pod at the level the host namespace enforces,
// and a pod created inside the virtual cluster also at the level its API server enforces
// there, unless its namespace is exempt.
func PodSecurity(rules layer.HostRules, workloads []layer.Workload) []Violation {
	var out []Violation
	for _, w := range workloads {
		if rules.PodSecurity != "" {
			if refused := Refusals(rules.PodSecurity, w.Pod); len(refused) > 0 {
				out = append(out, Violation{Check: "pod security", Layer: w.Layer, Workload: w.Name, Message: fmt.Sprintf(
					"the host namespace enforces %s, which refuses its pods: %s", rules.PodSecurity, strings.Join(refused, "; "))})
			}
		}
		// At the same level as the host's the verdict is the host's: judged once.
		if w.VirtualNamespace != "" && rules.VirtualPodSecurity != "" && rules.VirtualPodSecurity != rules.PodSecurity &&
			!slices.Contains(rules.VirtualExemptions, w.VirtualNamespace) {
			if refused := Refusals(rules.VirtualPodSecurity, w.Pod); len(refused) > 0 {
				out = append(out, Violation{Check: "pod security", Layer: w.Layer, Workload: w.Name, Message: fmt.Sprintf(
					"the virtual cluster enforces %s in namespace %s, which refuses its pods: %s", rules.VirtualPodSecurity, w.VirtualNamespace, strings.Join(refused, "; "))})
			}
		}
	}
	return out
}

// Refusals are the reasons a pod is refused at a Pod Security level (none when it is admitted).
func Refusals(level v1alpha1.PodSecurityLevel, pod corev1.PodSpec) []string {
	ev, err := evaluator()
	if err != nil {
		return []string{"cannot build the Pod Security evaluator: " + err.Error()}
	}
	l, err := psapi.ParseLevel(string(level))
	if err != nil {
		return []string{err.Error()}
	}
	var refused []string
	for _, r := range ev.EvaluatePod(psapi.LevelVersion{Level: l, Version: psapi.LatestVersion()}, &metav1.ObjectMeta{}, &pod) {
		if !r.Allowed {
			refused = append(refused, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return refused
}
