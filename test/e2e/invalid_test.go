package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestInvalidClaimsRefusedAtApply applies every file in examples/invalid/ with kubectl, as a
// tenant would, and checks that the API server refuses it with what the file's "# expect:" lines
// say and that no such claim exists afterwards.
func TestInvalidClaimsRefusedAtApply(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "invalid", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in examples/invalid")
	}
	ns := &unstructured.Unstructured{}
	ns.SetGroupVersionKind(gvkNamespace)
	ns.SetName("team-invalid")
	if err := cp.Host.ApplyObject(runCtx, ns); err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join("..", "..", "bin", "e2e", "kubectl")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			expect := expectations(data)
			if len(expect) == 0 {
				t.Fatalf("%s has no \"# expect:\" line", f)
			}
			cmd := exec.CommandContext(runCtx, kubectl, "--kubeconfig", filepath.Join(cp.Dir, "host.kubeconfig"), "apply", "-f", f)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err = cmd.Run()
			if err == nil {
				t.Fatalf("kubectl apply -f %s was accepted:\n%s", f, out.String())
			}
			for _, e := range expect {
				if !strings.Contains(out.String(), e) {
					t.Errorf("kubectl apply -f %s: the refusal does not say %q:\n%s", f, e, out.String())
				}
			}
			t.Logf("refused: %s", strings.TrimSpace(out.String()))
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			if getClaim(t, "team-invalid", name) != nil {
				t.Errorf("claim team-invalid/%s exists after its refusal", name)
			}
		})
	}
}

// expectations are the "# expect: <text>" lines of a file.
func expectations(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if e, ok := strings.CutPrefix(line, "# expect: "); ok {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// TestKubernetesVersionTransitions checks the XRD's transition rules on a real API server: a
// virtual cluster's Kubernetes version can rise one minor at a time and never fall.
func TestKubernetesVersionTransitions(t *testing.T) {
	const ns, name = "team-versions", "versions"
	claim := claimFile(t, "examples/claims/minimal.yaml", ns, name)
	setSpec(claim, "kubernetesVersion", "1.36")
	applyClaim(t, claim)
	last := settled(t, ns, name)
	for _, c := range []struct{ version, want string }{
		{"1.35", "spec.kubernetesVersion: Invalid value: \"1.35\": spec.kubernetesVersion cannot be lowered: a virtual cluster cannot be downgraded; create a new TenantCluster instead"},
		{"1.38", "spec.kubernetesVersion: Invalid value: \"1.38\": spec.kubernetesVersion can be raised by one minor version at a time (e.g. 1.35 to 1.36)"},
	} {
		setSpec(claim, "kubernetesVersion", c.version)
		err := cp.Host.ApplyObject(runCtx, claim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("1.36 → %s: want the refusal %q, got %v", c.version, c.want, err)
		}
	}
	if got, _, _ := unstructured.NestedString(getClaim(t, ns, name).Object, "spec", "kubernetesVersion"); got != "1.36" {
		t.Errorf("after the refusals the claim asks for %q, want 1.36", got)
	}
	deleteAndWaitGone(t, ns, name, last, 3*time.Minute)
}
