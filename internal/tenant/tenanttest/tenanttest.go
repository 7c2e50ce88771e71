// Package tenanttest builds tenant models for the layers' own tests, the way the function does:
// from an Input and a claim's XR written as YAML.
package tenanttest

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource/composite"
	"sigs.k8s.io/yaml"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// LegacyXR is the XR Crossplane creates for the claim namespace/name.
func LegacyXR(name, namespace string) *composite.Unstructured {
	xr := composite.New()
	xr.SetAPIVersion("platform.tenantcluster.io/v1alpha1")
	xr.SetKind("XTenantCluster")
	xr.SetName(name + "-x7k2p")
	xr.SetLabels(map[string]string{tenant.LabelClaimName: name, tenant.LabelClaimNamespace: namespace})
	return xr
}

// ClaimXR is the XR of the claim team-a/dev with the given spec and status (YAML lines).
func ClaimXR(specAndStatus string) string {
	return `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p, labels: {crossplane.io/claim-name: dev, crossplane.io/claim-namespace: team-a}}
` + specAndStatus
}

// Input decodes an Input (YAML) strictly, defaulted and validated like the function does.
func Input(t testing.TB, inputYAML string) *inputv1beta1.Input {
	t.Helper()
	in := &inputv1beta1.Input{}
	if err := yaml.UnmarshalStrict([]byte(inputYAML), in); err != nil {
		t.Fatalf("bad input in test: %v", err)
	}
	in.Default()
	if err := in.Validate(); err != nil {
		t.Fatalf("invalid input in test: %v", err)
	}
	return in
}

// New normalises the legacy XR of the claim team-a/dev with the given spec and status under an
// input (all YAML).
func New(t testing.TB, inputYAML, specYAML, statusYAML string) *tenant.Tenant {
	t.Helper()
	in := Input(t, inputYAML)
	xr := composite.New()
	if err := yaml.Unmarshal([]byte(ClaimXR("spec: "+specYAML+"\nstatus: "+statusYAML+"\n")), &xr.Object); err != nil {
		t.Fatal(err)
	}
	tn, err := tenant.New(xr, in)
	if err != nil {
		t.Fatalf("tenant.New: %v", err)
	}
	return tn
}
