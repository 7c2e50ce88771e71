package fn

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/checks"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/pipeline"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestDeclaredWorkloadsKeepTheRules runs every example through its observed history, and the
// minimal claim in every size, exposure and Pod Security level with and without Rancher, and
// judges every workload every layer declares against the rules the layers put on the tenant's
// host namespace (internal/checks): Pod Security at the host's and the virtual cluster's
// levels, the quota and limit range, the network policy. A layer whose workload breaks one
// fails here, with a message naming the layer and the workload.
func TestDeclaredWorkloadsKeepTheRules(t *testing.T) {
	reqs := map[string]*fnv1.RunFunctionRequest{}
	for _, path := range exampleFiles(t) {
		for _, step := range []string{"", "deployed", rancherSteps} {
			reqs[filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path)+"/"+stepName(step)] = exampleRequest(t, path, step, nil)
		}
	}
	const exposures = `exposure: {ingress: {domain: tenants.example.com}, loadBalancer: {domain: lb.example.com}}`
	for _, size := range []string{"small", "medium", "large"} {
		for _, exposure := range []string{"None", "Ingress", "LoadBalancer"} {
			for _, level := range []string{"baseline", "restricted"} {
				for rancherName, rancher := range map[string]string{
					"":                      "",
					"/rancher":              "rancher: {enabled: true, url: https://rancher.example.com}",
					"/rancher-egress-cidrs": "rancher: {enabled: true, url: https://rancher.example.com:8443, egressCIDRs: [10.0.0.10/32]}",
				} {
					spec := "{size: " + size + ", exposure: {type: " + exposure + "}, isolation: {podSecurity: " + level + "}}"
					reqs[size+"/"+exposure+"/"+level+rancherName] = &fnv1.RunFunctionRequest{
						Input:    st(t, "apiVersion: tenantcluster.fn.crossplane.io/v1beta1\nkind: Input\n"+exposures+"\n"+rancher),
						Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR("spec: "+spec))},
					}
				}
			}
		}
	}
	// With the tenant's own log aggregator (the Isolated model) in every size and level.
	for _, size := range []string{"small", "medium", "large"} {
		for _, level := range []string{"baseline", "restricted"} {
			claim := strings.Replace(loggingClaim, "spec:\n", "spec:\n  size: "+size+"\n  isolation: {podSecurity: "+level+"}\n", 1)
			reqs["logging/"+size+"/"+level] = &fnv1.RunFunctionRequest{
				Input:    st(t, loggingInput),
				Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR(claim))},
			}
		}
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			out := runPipeline(t, req)
			if strings.HasPrefix(name, "logging/") && !slices.ContainsFunc(out.Workloads, func(w layer.Workload) bool { return w.Layer == "logging" }) {
				t.Fatal("the logging layer declares no aggregator")
			}
			if len(out.Workloads) < 2 {
				t.Fatalf("only %d workloads declared", len(out.Workloads))
			}
			if len(out.Violations) > 0 {
				t.Errorf("the declared workloads break the tenant's rules:\n%s", checks.Join(out.Violations))
			}
		})
	}
}

// TestRuleBrokenNamesLayerAndWorkload shows the checks fail on a real tenant: the full example's
// declared workloads judged under a namespace with no egress at all break the network policy
// (Rancher's agents can no longer reach Rancher), and under no CPU quota break the quota (named
// after the largest share, the control plane).
func TestRuleBrokenNamesLayerAndWorkload(t *testing.T) {
	out := runPipeline(t, exampleRequest(t, filepath.Join("..", "examples", "claims", "full.yaml"), rancherSteps, nil))
	rules := out.Rules
	rules.Egress = nil
	got := checks.Join(checks.Run(rules, out.Workloads))
	for _, want := range []string{
		"network check: layer rancher, workload cluster agent: its traffic to Rancher's server",
		"network check: layer rancher, workload Fleet agent:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the violations do not say %q:\n%s", want, got)
		}
	}
	rules = out.Rules
	rules.Quota = rules.Quota.DeepCopy()
	rules.Quota["requests.cpu"] = resource.MustParse("0")
	got = checks.Join(checks.Run(rules, out.Workloads))
	if want := "quota check: layer vcluster, workload control plane: the platform's own workloads need requests.cpu"; !strings.Contains(got, want) {
		t.Errorf("the violations do not say %q:\n%s", want, got)
	}
}

const rancherSteps = "rancher/0-deployed,rancher/1-cluster,rancher/2-registering,rancher/3-connected"

// runPipeline runs the layers on a request the way RunFunction does and returns all they
// composed and declared.
func runPipeline(t *testing.T, req *fnv1.RunFunctionRequest) pipeline.Result {
	t.Helper()
	in, err := decodeInput(req)
	if err != nil {
		t.Fatal(err)
	}
	xr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := tenant.New(xr.Resource, in)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := request.GetObservedComposedResources(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Run(tn, compose.Observed(obs))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
