package namespace

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestNamespaceLabels checks that the platform's extra labels reach the host namespace but can
// never override the labels the function sets: a platform label must not weaken Pod Security or
// move the namespace to another tenant.
func TestNamespaceLabels(t *testing.T) {
	in := &inputv1beta1.Input{Namespace: inputv1beta1.NamespaceSettings{Labels: map[string]string{
		"platform.example.com/tier":          "gold",
		"pod-security.kubernetes.io/enforce": "privileged",
		"tenantcluster.io/tenant":            "someone-else",
	}}}
	in.Default()
	tn, err := tenant.New(tenanttest.LegacyXR("dev", "team-a"), in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Layer(tn, compose.Observed{})
	if err != nil {
		t.Fatal(err)
	}
	manifest := out.Resources[0].Object["spec"].(map[string]any)["forProvider"].(map[string]any)["manifest"].(map[string]any)
	got := manifest["metadata"].(map[string]any)["labels"]
	want := map[string]any{
		"platform.example.com/tier":                  "gold",
		"app.kubernetes.io/managed-by":               "function-tenantcluster",
		"tenantcluster.io/tenant":                    "team-a-dev-c553f163",
		"tenantcluster.io/claim-namespace":           "team-a",
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/audit":           "restricted",
		"pod-security.kubernetes.io/warn":            "restricted",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespace labels: -want, +got:\n%s", diff)
	}
}
