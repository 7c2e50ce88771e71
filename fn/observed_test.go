package fn

import (
	"path/filepath"
	"slices"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/tenantcluster/function-tenantcluster/internal/requests"
)

// readObserved reads an examples/observed folder into the observed composed resources of a
// request, keyed by their composition resource name the way Crossplane keys them.
//
// dirs may list several folders, comma-separated, relative to examples/observed: they are layered
// the way `make render OBSERVED=a,b` layers them (examples/observed/rancher/ holds each step of
// the registration as what is new at that step).
func readObserved(t testing.TB, dirs string) map[string]*fnv1.Resource {
	t.Helper()
	out, err := requests.Observed(filepath.Join("..", "examples", "observed"), dirs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// addObserved layers more observed folders onto a request.
func addObserved(t *testing.T, req *fnv1.RunFunctionRequest, dirs string) {
	t.Helper()
	if req.Observed.Resources == nil {
		req.Observed.Resources = map[string]*fnv1.Resource{}
	}
	for name, r := range readObserved(t, dirs) {
		req.Observed.Resources[name] = r
	}
}

// TestObservedStates renders examples/claims/minimal.yaml against each examples/observed folder
// and checks what the tenant sees: the conditions, the phase, the tenant target, and which
// composed resources are ready. These folders hold no Rancher answers, so the registration is
// pending in each (examples/observed/rancher/ walks through it, see rancher_test.go). Every state must also compose exactly the resources of a fresh
// claim: what is observed never removes anything.
func TestObservedStates(t *testing.T) {
	claimPath := filepath.Join("..", "examples", "claims", "minimal.yaml")
	fresh := renderExample(t, claimPath)
	wantNames := resourceNames(fresh)

	ready := func(names ...string) []string { slices.Sort(names); return names }
	rancherPending := condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "ClusterPending",
		`Waiting for Rancher to create the cluster for provisioning Cluster fleet-default/team-a-dev-c553f163 (through ProviderConfig "default").`)
	cases := map[string]struct {
		reason      string
		condition   *fnv1.Condition
		phase       string
		targetReady bool
		ready       []string
	}{
		"deployed": {
			reason:      "Once the Release is deployed and ready (provider-helm read the kubeconfig Secret), the vcluster is available and the tenant target ready; the tenant is ready once Rancher registered it too.",
			condition:   condition("VClusterReady", fnv1.Status_STATUS_CONDITION_TRUE, "Available", "the vcluster is deployed and its kubeconfig is exported"),
			phase:       "Provisioning",
			targetReady: true,
			ready:       ready("namespace", "vcluster", "tenant-k8s", "tenant-helm", "usage-vcluster", "usage-tenant-k8s", "usage-tenant-helm"),
		},
		"kubeconfig-pending": {
			reason: "A deployed Release whose kubeconfig Secret is not there yet says what is missing; the tenant target waits.",
			condition: condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "KubeconfigPending",
				"the vcluster is deployed; waiting for it to export its kubeconfig to Secret vc-dev-internal in namespace tenant-team-a-dev-c553f163"),
			phase: "Provisioning",
			ready: ready("namespace", "usage-vcluster", "usage-tenant-k8s", "usage-tenant-helm"),
		},
		"failed": {
			reason: "A failed Release shows Helm's message to the tenant and the phase Failed.",
			condition: condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleaseFailed",
				`the vcluster release failed: Release "dev" failed: values don't meet the specifications of the schema(s) in the following chart(s): vcluster: - controlPlane.distro.k8s.image.tag: Invalid type. Expected: string, given: integer; provider-helm rolls it back and tries again (0 of 3 rollbacks so far)`),
			phase: "Failed",
			ready: ready("namespace"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := renderExampleObserved(t, claimPath, readObserved(t, name))
			if diff := cmp.Diff([]*fnv1.Condition{tc.condition, rancherPending}, rsp.GetConditions(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nconditions: -want, +got:\n%s", tc.reason, diff)
			}
			status, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
			if status["phase"] != tc.phase {
				t.Errorf("%s\nphase: want %q, got %v", tc.reason, tc.phase, status["phase"])
			}
			target, _ := status["tenantTarget"].(map[string]any)
			if got := target["ready"] == true; got != tc.targetReady {
				t.Errorf("%s\ntenantTarget.ready: want %v, got %v", tc.reason, tc.targetReady, got)
			}
			var gotReady []string
			for n, r := range rsp.GetDesired().GetResources() {
				if r.GetReady() == fnv1.Ready_READY_TRUE {
					gotReady = append(gotReady, n)
				}
			}
			slices.Sort(gotReady)
			if diff := cmp.Diff(tc.ready, gotReady); diff != "" {
				t.Errorf("%s\nready resources: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(wantNames, resourceNames(rsp)); diff != "" {
				t.Errorf("%s\ncomposed resources differ from a fresh claim's: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func resourceNames(rsp *fnv1.RunFunctionResponse) []string {
	var names []string
	for n := range rsp.GetDesired().GetResources() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
