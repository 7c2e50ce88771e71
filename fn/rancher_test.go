package fn

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// The registration of examples/claims/full.yaml (tenant team-payments-payments-9872f00b) as
// examples/observed/rancher/ plays it.
const (
	fullID          = "team-payments-payments-9872f00b"
	fullClusterID   = "c-m-8x2kq7vd"
	fullProjectID   = "local:p-4465005f"
	fullProjectNS   = "local-p-4465005f"
	fullDashboard   = "https://rancher.example.com/dashboard/c/" + fullClusterID + "/explorer"
	fullClusterWait = `Waiting for Rancher to create the cluster for provisioning Cluster fleet-default/` + fullID + ` (through ProviderConfig "default").`
)

// Composed resources of full.yaml at each step of its registration.
var (
	fullBase = []string{"namespace", "vcluster", "tenant-k8s", "tenant-helm", "usage-vcluster", "usage-tenant-k8s", "usage-tenant-helm",
		"rancher-cluster", "rancher-project", "usage-namespace", "usage-rancher-cluster"}
	fullLookups = []string{"rancher-mgmt",
		"crtb-2671d32f", "crtb-6b6ec437", "crtb-9ac276ea", "prtb-1e7950e2", "prtb-ba74fd02", "prtb-501ffff8"}
	fullRegistrar = []string{"registrar-sa", "registrar-kubeconfig-role", "registrar-kubeconfig-binding", "registrar-token-role", "registrar-token-binding"}
	// The logging layer's, from the first step on: the aggregator's Logging, the Flow, two
	// Outputs, the credentials copier, and their Usages.
	fullLogging = []string{"logging", "logging-flow", "logging-output-24193290", "logging-output-98294530",
		"logging-copier", "logging-copier-sa", "logging-copier-reader-role", "logging-copier-reader-binding", "logging-copier-writer-role", "logging-copier-writer-binding",
		"usage-logging", "usage-logging-flow", "usage-logging-output-24193290", "usage-logging-output-98294530",
		"usage-logging-copier-of-logging-copier-sa", "usage-logging-copier-of-logging-copier-reader-role", "usage-logging-copier-of-logging-copier-reader-binding",
		"usage-logging-copier-of-logging-copier-writer-role", "usage-logging-copier-of-logging-copier-writer-binding",
		"usage-logging-copier-writer-role", "usage-logging-copier-writer-binding"}
	fullMonitoring = []string{"monitoring", "monitoring-dashboards", "usage-monitoring-dashboards", "usage-monitoring-of-monitoring-dashboards", "monitoring-account", "monitoring-role", "monitoring-role-binding", "monitoring-alerts", "monitoring-rules",
		"monitoring-copier", "monitoring-copier-sa", "monitoring-copier-reader-role", "monitoring-copier-reader-binding", "monitoring-copier-writer-role", "monitoring-copier-writer-binding",
		"usage-monitoring-of-namespace", "usage-monitoring-of-monitoring-role-binding", "usage-monitoring-account", "usage-monitoring-role", "usage-monitoring-role-binding",
		"usage-monitoring-alerts", "usage-monitoring-rules",
		"usage-monitoring-copier-of-monitoring-copier-sa", "usage-monitoring-copier-of-monitoring-copier-reader-role", "usage-monitoring-copier-of-monitoring-copier-reader-binding",
		"usage-monitoring-copier-of-monitoring-copier-writer-role", "usage-monitoring-copier-of-monitoring-copier-writer-binding",
		"usage-monitoring-copier-writer-role", "usage-monitoring-copier-writer-binding"}
)

func sorted(lists ...[]string) []string {
	out := slices.Concat(lists...)
	slices.Sort(out)
	return out
}

// TestRancherChain renders examples/claims/full.yaml at each step of its registration and
// compares what the tenant sees (the RancherRegistered condition and status.rancher) and the
// composed resources: each step adds what Rancher's answer allows, and nothing goes away.
func TestRancherChain(t *testing.T) {
	claimPath := filepath.Join("..", "examples", "claims", "full.yaml")
	project := map[string]any{"clusterName": fullID, "projectId": fullProjectID, "createdProjectId": fullProjectID}
	with := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range project {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	cases := map[string]struct {
		reason    string
		observed  string
		resources []string
		condition func(job string) *fnv1.Condition
		status    map[string]any
		phase     string
	}{
		"nothing observed": {
			reason:    "A new tenant gets the provisioning Cluster (and the project its namespace goes into); Rancher has answered nothing yet.",
			resources: sorted(fullBase, fullLogging, fullMonitoring),
			condition: func(string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "ClusterPending", fullClusterWait)
			},
			status: with(nil),
			phase:  "Provisioning",
		},
		"vcluster deployed": {
			reason:    "The virtual cluster being up changes nothing in Rancher: registration waits for Rancher's cluster.",
			observed:  "rancher/0-deployed",
			resources: sorted(fullBase, fullLogging, fullMonitoring),
			condition: func(string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "ClusterPending", fullClusterWait)
			},
			status: with(nil),
			phase:  "Provisioning",
		},
		"Rancher unreachable": {
			reason:    "When provider-kubernetes cannot sync the provisioning Cluster (here: the target has no Rancher), the condition says so with the provider's error instead of waiting for Rancher.",
			observed:  "rancher/0-deployed,rancher/unreachable",
			resources: sorted(fullBase, fullLogging, fullMonitoring),
			condition: func(string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "ClusterPending", fullClusterWait+
					` The provider cannot sync Object team-payments-payments-9872f00b-rancher-cluster: cannot get object: no matches for kind "Cluster" in version "provisioning.cattle.io/v1"`)
			},
			status: with(nil),
			phase:  "Provisioning",
		},
		"cluster name observed": {
			reason:    "Once Rancher names its cluster: the cluster lookup, the owners' and members' bindings (the project's too, its namespace being known), the Usage that keeps the virtual cluster until Rancher deregistered, and the registrar with its Job.",
			observed:  "rancher/0-deployed,rancher/1-cluster",
			resources: sorted(fullBase, fullLogging, fullMonitoring, fullLookups, fullRegistrar, []string{"registrar"}),
			condition: func(job string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "AgentPending",
					"Rancher's import manifest is applied in the virtual cluster by Job crossplane-system/"+job+" on the Crossplane cluster; waiting for Rancher's agent to connect cluster "+fullClusterID+".")
			},
			status: with(map[string]any{"clusterId": fullClusterID, "url": fullDashboard, "createdProjectNamespace": fullProjectNS, "registered": true}),
			phase:  "Provisioning",
		},
		"kubeconfig not exported yet": {
			reason:    "The registrar reads the virtual cluster's kubeconfig: before it is exported, everything but the registrar, and a condition that says what it waits for.",
			observed:  "rancher/1-cluster",
			resources: sorted(fullBase, fullLogging, fullMonitoring, fullLookups),
			condition: func(string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "AgentPending",
					"Rancher created cluster "+fullClusterID+"; its import manifest is applied once the virtual cluster's kubeconfig is exported.")
			},
			status: with(map[string]any{"clusterId": fullClusterID, "url": fullDashboard, "createdProjectNamespace": fullProjectNS, "registered": true}),
			phase:  "Provisioning",
		},
		"registering": {
			reason:    "While Rancher reports the cluster not connected the registrar Job stays.",
			observed:  "rancher/0-deployed,rancher/1-cluster,rancher/2-registering",
			resources: sorted(fullBase, fullLogging, fullMonitoring, fullLookups, fullRegistrar, []string{"registrar"}),
			condition: func(job string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "AgentPending",
					"Rancher's import manifest is applied in the virtual cluster by Job crossplane-system/"+job+" on the Crossplane cluster; waiting for Rancher's agent to connect cluster "+fullClusterID+".")
			},
			status: with(map[string]any{"clusterId": fullClusterID, "url": fullDashboard, "createdProjectNamespace": fullProjectNS, "registered": true}),
			phase:  "Provisioning",
		},
		"connected": {
			reason:    "Once Rancher reports the cluster Connected, the tenant is registered and, every layer being ready, Ready; the registrar Job goes (Rancher now runs its agent with a token of its own, which re-applying the import manifest would undo).",
			observed:  "rancher/0-deployed,rancher/1-cluster,rancher/2-registering,rancher/3-connected",
			resources: sorted(fullBase, fullLogging, fullMonitoring, fullLookups, fullRegistrar),
			condition: func(string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_TRUE, "Registered",
					"Registered in Rancher as cluster "+fullClusterID+" and connected: "+fullDashboard)
			},
			status: with(map[string]any{"clusterId": fullClusterID, "url": fullDashboard, "createdProjectNamespace": fullProjectNS,
				"registered": true, "connected": true}),
			phase: "Ready",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var observed map[string]*fnv1.Resource
			if tc.observed != "" {
				observed = readObserved(t, tc.observed)
			}
			rsp := renderExampleObserved(t, claimPath, observed)
			if diff := cmp.Diff(tc.resources, resourceNames(rsp)); diff != "" {
				t.Errorf("%s\ncomposed resources: -want, +got:\n%s", tc.reason, diff)
			}
			job := ""
			if r := rsp.GetDesired().GetResources()[string(rancher.ResourceRegistrarJob)]; r != nil {
				job = manifestOf(r.GetResource().AsMap())["metadata"].(map[string]any)["name"].(string)
				if !regexp.MustCompile(`^` + fullID + `-register-[0-9a-f]{8}$`).MatchString(job) {
					t.Errorf("registrar Job name %q is not <tenant id>-register-<hash>", job)
				}
			}
			var got *fnv1.Condition
			for _, c := range rsp.GetConditions() {
				if c.GetType() == "RancherRegistered" {
					got = c
				}
			}
			if diff := cmp.Diff(tc.condition(job), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRancherRegistered: -want, +got:\n%s", tc.reason, diff)
			}
			status, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
			if diff := cmp.Diff(tc.status, status["rancher"]); diff != "" {
				t.Errorf("%s\nstatus.rancher: -want, +got:\n%s", tc.reason, diff)
			}
			if status["phase"] != tc.phase {
				t.Errorf("%s\nphase: want %s, got %v", tc.reason, tc.phase, status["phase"])
			}
		})
	}
}

// manifestOf is the manifest an Object applies.
func manifestOf(obj map[string]any) map[string]any {
	return obj["spec"].(map[string]any)["forProvider"].(map[string]any)["manifest"].(map[string]any)
}

func fromYAML(t *testing.T, s string) any {
	t.Helper()
	var out any
	if err := yaml.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRancherTroubleStates covers what the tenant reads when the agent does not come up: a
// failed registrar Job (with its message and how to retry), and an agent that was connected and
// no longer is (with Rancher's message; the registrar is composed again).
func TestRancherTroubleStates(t *testing.T) {
	claimPath := filepath.Join("..", "examples", "claims", "full.yaml")
	steps := "rancher/0-deployed,rancher/1-cluster,rancher/2-registering"
	cases := map[string]struct {
		reason  string
		status  map[string]any
		observe func(t *testing.T, req *fnv1.RunFunctionRequest)
		want    func(job string) *fnv1.Condition
	}{
		"installer failed": {
			reason:  "A Job that failed shows Kubernetes' message, when it runs again and how to retry at once.",
			observe: func(t *testing.T, req *fnv1.RunFunctionRequest) { addObserved(t, req, "rancher/install-failed") },
			want: func(job string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "AgentInstallFailed",
					"The Job that applies Rancher's import manifest in the virtual cluster failed: Job has reached the specified backoff limit. "+
						"It runs again within an hour; to retry now, delete Job crossplane-system/"+job+" on the Crossplane cluster (its log says why it failed).")
			},
		},
		"disconnected": {
			reason:  "A cluster that was connected and no longer is says so, with Rancher's message, rather than waiting for a first connection.",
			status:  map[string]any{"rancher": map[string]any{"clusterId": fullClusterID, "connected": true}},
			observe: func(*testing.T, *fnv1.RunFunctionRequest) {},
			want: func(job string) *fnv1.Condition {
				return condition("RancherRegistered", fnv1.Status_STATUS_CONDITION_FALSE, "Disconnected",
					"Rancher reports cluster "+fullClusterID+" disconnected: cluster agent is not connected; Rancher's agent runs in the virtual cluster's namespace cattle-system, and Job crossplane-system/"+job+" on the Crossplane cluster registers it again.")
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := exampleRequest(t, claimPath, steps, tc.status)
			tc.observe(t, req)
			rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			job := manifestOf(rsp.GetDesired().GetResources()[string(rancher.ResourceRegistrarJob)].GetResource().AsMap())["metadata"].(map[string]any)["name"].(string)
			var got *fnv1.Condition
			for _, c := range rsp.GetConditions() {
				if c.GetType() == "RancherRegistered" {
					got = c
				}
			}
			if diff := cmp.Diff(tc.want(job), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRancherRegistered: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRancherPrincipalsAndPort: a principal named twice gets one binding per role, and Rancher
// on a port of its own is reached on that port through the tenants' network policy.
func TestRancherPrincipalsAndPort(t *testing.T) {
	req := &fnv1.RunFunctionRequest{
		Meta: &fnv1.RequestMeta{Tag: "t"},
		Input: st(t, `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
rancher: {enabled: true, url: "https://rancher.example.com:8443", egressCIDRs: [10.0.0.10/32]}
`),
		Observed: &fnv1.State{
			Composite: res(t, tenanttest.ClaimXR(`spec: {rancher: {owners: [{user: "local://u-a"}, {user: "local://u-a"}], members: [{user: "local://u-a"}]}}`)),
			Resources: readObserved(t, "rancher/1-cluster"),
		},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var bindings []string
	for _, n := range resourceNames(rsp) {
		if strings.HasPrefix(n, "crtb-") {
			bindings = append(bindings, n)
		}
	}
	want := []string{"crtb-" + tenant.ShortHash("cluster-member/user/local://u-a"), "crtb-" + tenant.ShortHash("cluster-owner/user/local://u-a")}
	slices.Sort(want)
	if diff := cmp.Diff(want, bindings); diff != "" {
		t.Errorf("bindings: -want, +got:\n%s", diff)
	}
	values := rsp.GetDesired().GetResources()[string(compose.ResourceVCluster)].GetResource().AsMap()["spec"].(map[string]any)["forProvider"].(map[string]any)["values"].(map[string]any)
	egress := values["policies"].(map[string]any)["networkPolicy"].(map[string]any)["workload"].(map[string]any)["egress"]
	if diff := cmp.Diff(fromYAML(t, `[{to: [{ipBlock: {cidr: 10.0.0.10/32}}], ports: [{protocol: TCP, port: 8443}]}]`), egress); diff != "" {
		t.Errorf("egress to Rancher: -want, +got:\n%s", diff)
	}
}

// TestRancherPrincipalsLookAlikeAndLongest: a principal written with a Cyrillic letter that looks
// like a Latin one is a different principal to Rancher, and must stay a different binding here,
// never replacing the real one's; a principal of the schema's maximum length renders into
// bindings whose names are still DNS labels and whose subject is the principal unchanged.
func TestRancherPrincipalsLookAlikeAndLongest(t *testing.T) {
	real, lookAlike := "keycloakoidc_group://payments", "keycloakoidc_group://pаyments" // the second "а" is U+0430
	longest := "local://" + strings.Repeat("u", 256-len("local://"))
	req := &fnv1.RunFunctionRequest{
		Meta:  &fnv1.RequestMeta{Tag: "t"},
		Input: st(t, rancherInput),
		Observed: &fnv1.State{
			Composite: res(t, tenanttest.ClaimXR(fmt.Sprintf(`spec: {rancher: {owners: [{group: %q}], members: [{group: %q}, {user: %q}]}}`, real, lookAlike, longest))),
			Resources: readObserved(t, "rancher/1-cluster"),
		},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]string{}
	for name, r := range rsp.GetDesired().GetResources() {
		if !strings.HasPrefix(name, "crtb-") {
			continue
		}
		obj := r.GetResource().AsMap()
		manifest := obj["spec"].(map[string]any)["forProvider"].(map[string]any)["manifest"].(map[string]any)
		meta := manifest["metadata"].(map[string]any)
		if n, _ := meta["name"].(string); !dns1123Label.MatchString(n) {
			t.Errorf("binding %s is named %q, not a DNS label", name, n)
		}
		for _, k := range []string{"groupPrincipalName", "userPrincipalName"} {
			if p, ok := manifest[k].(string); ok {
				subjects[p] += manifest["roleTemplateName"].(string) + " "
			}
		}
	}
	want := map[string]string{real: "cluster-owner ", lookAlike: "cluster-member ", longest: "cluster-member "}
	if diff := cmp.Diff(want, subjects); diff != "" {
		t.Errorf("principals and their roles: -want, +got:\n%s", diff)
	}
}
