package fn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/namespace"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// podSecurity evaluates a pod against a Pod Security level with the API server's own checks and
// returns the reasons it is refused (none when it is allowed).
func podSecurity(t *testing.T, level string, pod *corev1.Pod) []string {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := psapi.ParseLevel(level)
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, r := range ev.EvaluatePod(psapi.LevelVersion{Level: l, Version: psapi.LatestVersion()}, &pod.ObjectMeta, &pod.Spec) {
		if !r.Allowed {
			refused = append(refused, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return refused
}

// rancherAgentPod is the pod of Rancher's stock cluster agent.
func rancherAgentPod(t *testing.T) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cattle-cluster-agent-pod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(raw, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// TestRancherAgentFitsPodSecurity checks that Rancher's agent and the tenant's Pod Security fit
// together. Every pod of a virtual cluster runs in the tenant's host namespace, so the host's
// enforced level must admit the agent: the stock agent breaks restricted (this test shows it),
// so a registered tenant that asks for restricted gets baseline enforced on the host, restricted
// audited and warned there, and restricted enforced by the virtual cluster itself on every
// namespace but Rancher's own.
func TestRancherAgentFitsPodSecurity(t *testing.T) {
	agent := rancherAgentPod(t)
	if refused := podSecurity(t, "restricted", agent); len(refused) == 0 {
		t.Fatal("the stock agent passes restricted; the host namespace need not be lowered to baseline any more")
	}
	for _, path := range []string{"full.yaml", "minimal.yaml"} {
		rsp := renderExampleObserved(t, filepath.Join("..", "examples", "claims", path), readObserved(t, "rancher/0-deployed,rancher/1-cluster,rancher/2-registering"))
		res := rsp.GetDesired().GetResources()
		labels := manifestOf(res[string(compose.ResourceNamespace)].GetResource().AsMap())["metadata"].(map[string]any)["labels"].(map[string]any)
		host, _ := labels[namespace.LabelPSAEnforce].(string)
		if refused := podSecurity(t, host, agent); len(refused) > 0 {
			t.Errorf("%s: the host namespace enforces %s, which refuses Rancher's agent: %s", path, host, strings.Join(refused, "; "))
		}
		if labels[namespace.LabelPSAAudit] != "restricted" || labels[namespace.LabelPSAWarn] != "restricted" {
			t.Errorf("%s: the host namespace must still audit and warn at the tenant's restricted, got %v / %v", path, labels[namespace.LabelPSAAudit], labels[namespace.LabelPSAWarn])
		}
		// Inside the virtual cluster, its own API server enforces the tenant's restricted on
		// every namespace but Rancher's two (test/chart judges that with the real chart and
		// the API server's own admission).
		values := res[string(compose.ResourceVCluster)].GetResource().AsMap()["spec"].(map[string]any)["forProvider"].(map[string]any)["values"].(map[string]any)
		manifests := values["experimental"].(map[string]any)["deploy"].(map[string]any)["host"].(map[string]any)["manifests"].(string)
		var cm corev1.ConfigMap
		var admission struct {
			Plugins []struct {
				Configuration struct {
					Defaults   map[string]string `json:"defaults"`
					Exemptions struct {
						Namespaces []string `json:"namespaces"`
					} `json:"exemptions"`
				} `json:"configuration"`
			} `json:"plugins"`
		}
		if err := yaml.Unmarshal([]byte(manifests), &cm); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(cm.Data["admission.yaml"]), &admission); err != nil || len(admission.Plugins) != 1 {
			t.Fatalf("%s: cannot read the virtual API server's admission configuration (%v): %s", path, err, cm.Data["admission.yaml"])
		}
		pc := admission.Plugins[0].Configuration
		if pc.Defaults["enforce"] != "restricted" {
			t.Errorf("%s: the virtual cluster must enforce the tenant's restricted, got %v", path, pc.Defaults["enforce"])
		}
		if !slices.Equal(pc.Exemptions.Namespaces, []string{tenant.AgentNamespace, tenant.AgentFleetNamespace}) {
			t.Errorf("%s: Rancher's namespaces must be exempt inside the virtual cluster, got %v", path, pc.Exemptions.Namespaces)
		}

		job := &batchv1.Job{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(manifestOf(res[string(rancher.ResourceRegistrarJob)].GetResource().AsMap()), job); err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{ObjectMeta: job.Spec.Template.ObjectMeta, Spec: job.Spec.Template.Spec}
		if refused := podSecurity(t, "restricted", pod); len(refused) > 0 {
			t.Errorf("%s: the registrar Job must meet restricted: %s", path, strings.Join(refused, "; "))
		}
	}
}

// TestRancherAgentDeclaredAsRancherDeploysIt holds the Rancher layer's declaration of its cluster
// agent, which the cross-cutting Pod Security check judges, against the pod Rancher's import
// manifest deploys: the same image repository, and the same verdict at every Pod Security level.
func TestRancherAgentDeclaredAsRancherDeploysIt(t *testing.T) {
	real := rancherAgentPod(t)
	out := runPipeline(t, exampleRequest(t, filepath.Join("..", "examples", "claims", "full.yaml"), rancherSteps, nil))
	var declared *layer.Workload
	for i, w := range out.Workloads {
		if w.Layer == "rancher" && w.Name == "cluster agent" {
			declared = &out.Workloads[i]
		}
	}
	if declared == nil {
		t.Fatal("the Rancher layer declares no cluster agent")
	}
	repo, _, _ := strings.Cut(real.Spec.Containers[0].Image, ":")
	if got := declared.Pod.Containers[0].Image; got != repo {
		t.Errorf("declared image %q, Rancher deploys %s", got, real.Spec.Containers[0].Image)
	}
	for _, level := range []string{"privileged", "baseline", "restricted"} {
		want := podSecurity(t, level, real)
		got := podSecurity(t, level, &corev1.Pod{Spec: declared.Pod})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Pod Security judges the declared agent otherwise than Rancher's: -Rancher's, +declared:\n%s", level, diff)
		}
	}
}
