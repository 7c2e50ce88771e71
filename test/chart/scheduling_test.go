package chart

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestHighAvailabilitySpreads checks, on the real chart, that every replicated workload of a
// highly available tenant (the control plane and each etcd member) prefers nodes without
// another pod of itself: its anti-affinity selector must match its own pods' labels, or the
// scheduler may put every etcd member on one node.
func TestHighAvailabilitySpreads(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, compose(t, tc))
			for _, w := range platformWorkloads(t, out) {
				if w.replicas < 2 {
					continue
				}
				aff := w.template.Spec.Affinity
				if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
					t.Errorf("%s runs %d replicas without anti-affinity", w.name, w.replicas)
					continue
				}
				for _, term := range aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
					sel, err := metav1.LabelSelectorAsSelector(term.PodAffinityTerm.LabelSelector)
					if err != nil {
						t.Fatal(err)
					}
					if !sel.Matches(labels.Set(w.template.Labels)) {
						t.Errorf("%s: its anti-affinity selector %s does not match its own pods (%v)", w.name, sel, w.template.Labels)
					}
				}
			}
		})
	}
}
