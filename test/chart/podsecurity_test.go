package chart

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// podTemplates returns the pod template of every workload the chart renders.
func podTemplates(t *testing.T, r rendered) map[string]corev1.PodTemplateSpec {
	t.Helper()
	out := map[string]corev1.PodTemplateSpec{}
	for _, u := range r.objects {
		switch u.GetKind() {
		case "StatefulSet":
			var s appsv1.StatefulSet
			into(t, u, &s)
			out["StatefulSet/"+s.Name] = s.Spec.Template
		case "Deployment":
			var d appsv1.Deployment
			into(t, u, &d)
			out["Deployment/"+d.Name] = d.Spec.Template
		case "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet":
			t.Fatalf("the chart renders a %s this test does not judge yet: %s", u.GetKind(), u.GetName())
		}
	}
	return out
}

// refusals evaluates a pod template with the API server's own Pod Security checks at a level.
func refusals(t *testing.T, level string, tpl corev1.PodTemplateSpec) []string {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := psapi.ParseLevel(level)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range ev.EvaluatePod(psapi.LevelVersion{Level: l, Version: psapi.LatestVersion()}, &tpl.ObjectMeta, &tpl.Spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return out
}

// hostLevel is the Pod Security level the function's host Namespace enforces.
func hostLevel(t *testing.T, r release) string {
	t.Helper()
	ns := r.desired["namespace"].GetResource().AsMap()
	level, _, _ := unstructured.NestedString(ns, "spec", "forProvider", "manifest", "metadata", "labels", "pod-security.kubernetes.io/enforce")
	if level == "" {
		t.Fatal("the host Namespace enforces no Pod Security level")
	}
	return level
}

// TestControlPlaneMeetsPodSecurity renders the real chart for every tenant and judges every pod
// template it makes (the control plane, and etcd when highly available) with the API server's
// own Pod Security checks: at "restricted", whatever the tenant's level, because the control
// plane runs in the tenant's host namespace under the tenant's rules; and so, necessarily, at the
// level the host namespace enforces. A pod that fails would never be created, and the tenant
// would wait forever for a kubeconfig.
func TestControlPlaneMeetsPodSecurity(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			templates := podTemplates(t, out)
			// One replica: a StatefulSet; highly available: a Deployment beside etcd's StatefulSet.
			_, sts := templates["StatefulSet/"+r.name]
			_, deploy := templates["Deployment/"+r.name]
			if !sts && !deploy {
				t.Fatalf("the chart rendered no control plane %s; got %v", r.name, keys(templates))
			}
			host := hostLevel(t, r)
			for name, tpl := range templates {
				for _, level := range []string{"restricted", host} {
					if refused := refusals(t, level, tpl); len(refused) > 0 {
						t.Errorf("%s fails Pod Security %s:\n  %s", name, level, strings.Join(refused, "\n  "))
					}
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
