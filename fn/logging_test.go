package fn

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// loggingInput offers logging to tenants: three hosts, a platform audit output.
const loggingInput = `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
logging:
  enabled: true
  hosts: [loki.example.com, "*.logs.example.com"]
  globalOutputRefs: [audit]
`

// loggingClaim is team-a/dev sending its shop and default namespaces' web pods to a Loki (with a
// user and password), an HTTP collector and an Elasticsearch (with an API key).
const loggingClaim = `spec:
  logging:
    namespaces: [shop, default]
    labels: {tier: web}
    outputs:
    - name: loki
      loki:
        url: "https://loki.example.com"
        tenantID: team-a
        extraLabels: {team: a}
        basicAuth: {username: {name: loki-auth, key: user}, password: {name: loki-auth, key: password}}
    - {name: collector, http: {endpoint: "https://collector.logs.example.com/ingest"}, buffer: {totalLimitSize: 1Gi}}
    - {name: search, elasticsearch: {host: es.logs.example.com, indexName: dev-logs, apiKey: {name: es, key: api-key}}}
`

func loggingRsp(t *testing.T, input, claim string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	return claimRsp(t, input, claim, observed)
}

// loggingManifests are the manifests of the composed logging-operator objects, by kind/name.
func loggingManifests(rsp *fnv1.RunFunctionResponse) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range rsp.GetDesired().GetResources() {
		m, _, _ := unstructured.NestedMap(r.GetResource().AsMap(), "spec", "forProvider", "manifest")
		if api, _ := m["apiVersion"].(string); strings.HasPrefix(api, "logging.banzaicloud.io/") {
			meta, _ := m["metadata"].(map[string]any)
			out[m["kind"].(string)+"/"+meta["name"].(string)] = m
		}
	}
	return out
}

// TestLoggingObjects renders the isolated model and checks the whole of what the logging-operator
// is given: the tenant's Logging (its own aggregator, watching only its host namespace, under
// restricted security, attached to the platform's LoggingRoute by label), the Flow (the tenant's
// synced pods in two virtual namespaces with its label, never the control plane, its own names
// put on each record, to its three outputs and the platform's audit), and the Outputs (bounded
// buffers that drop the oldest records).
func TestLoggingObjects(t *testing.T) {
	got := loggingManifests(loggingRsp(t, loggingInput, loggingClaim, nil))
	buffer := func(size string) string {
		return `{type: file, total_limit_size: "` + size + `", overflow_action: drop_oldest_chunk, flush_mode: interval, flush_interval: 10s,
          retry_max_interval: 60s, retry_timeout: 1h, retry_forever: false, timekey: 1m}`
	}
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a}`
	want := map[string]string{
		"Logging/team-a-dev-c553f163": `
apiVersion: logging.banzaicloud.io/v1beta1
kind: Logging
metadata:
  name: team-a-dev-c553f163
  labels: {app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a, tenantcluster.io/logging-route: tenants}
spec:
  controlNamespace: tenant-team-a-dev-c553f163
  watchNamespaces: [tenant-team-a-dev-c553f163]
  configCheck: {strategy: StartWithTimeout, timeoutSeconds: 10}
  fluentd:
    labels: {tenantcluster.io/workload: log-aggregator}
    resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}
    security:
      podSecurityContext: {runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, fsGroup: 101, seccompProfile: {type: RuntimeDefault}}
      securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}
    scaling: {replicas: 1}
    bufferStorageVolume: {pvc: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 4Gi}}, volumeMode: Filesystem}}}
`,
		"Flow/tenant-logs": `
apiVersion: logging.banzaicloud.io/v1beta1
kind: Flow
metadata: {name: tenant-logs, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
spec:
  match:
  - select: {labels: {vcluster.loft.sh/managed-by: dev, vcluster.loft.sh/namespace: default, tier: web}}
  - select: {labels: {vcluster.loft.sh/managed-by: dev, vcluster.loft.sh/namespace: shop, tier: web}}
  filters:
  - record_transformer:
      enable_ruby: true
      records:
      - namespace: '${record.dig("kubernetes", "labels", "vcluster.loft.sh/namespace")}'
        pod: '${record.dig("kubernetes", "annotations", "vcluster.loft.sh/name") || record.dig("kubernetes", "pod_name")}'
        container: '${record.dig("kubernetes", "container_name")}'
  localOutputRefs: [tenant-loki, tenant-collector, tenant-search]
  globalOutputRefs: [audit]
`,
		"Output/tenant-loki": `
apiVersion: logging.banzaicloud.io/v1beta1
kind: Output
metadata: {name: tenant-loki, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
spec:
  loki:
    url: https://loki.example.com
    tenant: team-a
    extra_labels: {team: a}
    # The keys the copier writes into the tenant's credentials Secret (logging_credentials_test.go).
    username: {valueFrom: {secretKeyRef: {name: tenant-log-credentials, key: loki-auth_user}}}
    password: {valueFrom: {secretKeyRef: {name: tenant-log-credentials, key: loki-auth_password}}}
    labels: {namespace: $.namespace, pod: $.pod, container: $.container}
    configure_kubernetes_labels: false
    extract_kubernetes_labels: false
    remove_keys: [kubernetes]
    buffer: ` + buffer("536870912") + `
`,
		"Output/tenant-collector": `
apiVersion: logging.banzaicloud.io/v1beta1
kind: Output
metadata: {name: tenant-collector, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
spec:
  http:
    endpoint: https://collector.logs.example.com/ingest
    format: {type: json}
    json_array: true
    content_type: application/json
    buffer: ` + buffer("1073741824") + `
`,
		"Output/tenant-search": `
apiVersion: logging.banzaicloud.io/v1beta1
kind: Output
metadata: {name: tenant-search, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
spec:
  elasticsearch:
    host: es.logs.example.com
    port: 9200
    scheme: https
    index_name: dev-logs
    api_key: {valueFrom: {secretKeyRef: {name: tenant-log-credentials, key: es_api-key}}}
    suppress_type_name: true
    buffer: ` + buffer("536870912") + `
`,
	}
	wantObjects := map[string]map[string]any{}
	for k, doc := range want {
		wantObjects[k] = fromYAML(t, doc).(map[string]any)
	}
	if diff := cmp.Diff(wantObjects, got); diff != "" {
		t.Errorf("logging-operator objects: -want, +got:\n%s", diff)
	}
}

// TestLoggingObjectsValidateAgainstCRDs validates every logging-operator object, in each model,
// for the test claims and the logging of examples/claims/full.yaml and logging.yaml, against the
// logging-operator's own CRDs (../shared/crds/logging-operator), strictly: a field the CRD does
// not have fails, where the API server would drop it silently.
func TestLoggingObjectsValidateAgainstCRDs(t *testing.T) {
	dir := filepath.Join(valuesschema.SharedDir(t), "crds", "logging-operator")
	schemas := map[string]*jsonschema.Schema{}
	for kind, file := range map[string]string{"Logging": "loggings", "Flow": "flows", "Output": "outputs"} {
		schemas[kind] = valuesschema.CRD(t, filepath.Join(dir, "logging.banzaicloud.io_"+file+".yaml"), "v1beta1")
	}
	claims := map[string]string{
		"loggingClaim":     loggingClaim,
		"moreOutputsClaim": moreOutputsClaim,
		"full.yaml":        exampleLogging(t, "full.yaml"),
		"logging.yaml":     exampleLogging(t, "logging.yaml"),
	}
	for name, claim := range claims {
		for model, input := range map[string]string{
			"Isolated": loggingInput,
			"Shared":   loggingInput + "  model: Shared\n  loggingRef: platform\n",
		} {
			validateLogging(t, schemas, name+"/"+model, model, input, claim)
		}
	}
	// The strict check can fail.
	s := schemas["Output"]
	bad := map[string]any{"apiVersion": "logging.banzaicloud.io/v1beta1", "kind": "Output", "spec": map[string]any{"loki": map[string]any{"uri": "https://x"}}}
	if err := s.Validate(valuesschema.Instance(t, bad)); err == nil {
		t.Error("a misspelt field (loki.uri) validates: the strict check is broken")
	}
}

// exampleLogging is an example claim's spec.logging, as the spec line a test XR takes (the rest
// of the example needs the shipped Composition's input).
func exampleLogging(t *testing.T, file string) string {
	t.Helper()
	return exampleSpec(t, file, "logging")
}

// exampleSpec is one field of an example claim's spec, as the spec line a test XR takes.
func exampleSpec(t *testing.T, file, field string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "claims", file))
	if err != nil {
		t.Fatal(err)
	}
	var claim struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &claim); err != nil || claim.Spec[field] == nil {
		t.Fatalf("%s: no spec.%s (%v)", file, field, err)
	}
	spec, err := json.Marshal(map[string]any{field: claim.Spec[field]})
	if err != nil {
		t.Fatal(err)
	}
	return "spec: " + string(spec)
}

// validateLogging renders a claim under an input and validates its logging-operator objects
// against the operator's CRDs, strictly, and checks which kinds the model composes.
func validateLogging(t *testing.T, schemas map[string]*jsonschema.Schema, what, model, input, claim string) {
	t.Helper()
	got := loggingManifests(loggingRsp(t, input, claim, nil))
	kinds := map[string]bool{}
	for name, m := range got {
		kind := m["kind"].(string)
		kinds[kind] = true
		if err := schemas[kind].Validate(valuesschema.Instance(t, m)); err != nil {
			t.Errorf("%s: %s does not validate against the logging-operator's CRD:\n%v", what, name, err)
		}
	}
	want := []string{"Flow", "Output"}
	if model == "Isolated" {
		want = []string{"Flow", "Logging", "Output"}
	}
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(kinds))); diff != "" {
		t.Errorf("%s: kinds composed: -want, +got:\n%s", what, diff)
	}
}

// TestLoggingProblemsReachTheClaim renders a tenant whose HTTP output the logging-operator
// reports problems for: the claim's LoggingReady condition names the output and the problem, and
// status.logging lists it.
func TestLoggingProblemsReachTheClaim(t *testing.T) {
	first := loggingRsp(t, loggingInput, loggingClaim, nil)
	var name string
	for n, r := range first.GetDesired().GetResources() {
		if m, _, _ := unstructured.NestedMap(r.GetResource().AsMap(), "spec", "forProvider", "manifest"); m["kind"] == "Output" && m["metadata"].(map[string]any)["name"] == "tenant-collector" {
			name = n
		}
	}
	observed := map[string]*fnv1.Resource{name: res(t, `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-log-x, annotations: {crossplane.io/composition-resource-name: `+name+`}}
status:
  conditions: [{type: Ready, status: "False", reason: Unavailable}, {type: Synced, status: "True", reason: ReconcileSuccess}]
  atProvider:
    manifest:
      status: {active: false, problemsCount: 1, problems: ["endpoint: connection refused"]}
`)}
	rsp := loggingRsp(t, loggingInput, loggingClaim, observed)
	got := loggingReady(rsp)
	want := condition("LoggingReady", fnv1.Status_STATUS_CONDITION_FALSE, "Problems",
		"The logging-operator reports problems; fix the outputs named in spec.logging.outputs: output collector: endpoint: connection refused")
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("LoggingReady: -want, +got:\n%s", diff)
	}
	status := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)["logging"]
	wantStatus := fromYAML(t, `{model: Isolated, outputs: [{name: loki}, {name: collector, problems: ["endpoint: connection refused"]}, {name: search}]}`)
	if diff := cmp.Diff(wantStatus, status); diff != "" {
		t.Errorf("status.logging: -want, +got:\n%s", diff)
	}
}

// TestLoggingOffMeansOff: a claim that drops spec.logging, or a platform that stops offering it,
// composes nothing of the layer (its Objects are then deleted, and with them what they made),
// and reports no logging status, and a LoggingReady condition only to say it is off where one
// was reported before; turning it on again composes it all.
func TestLoggingOffMeansOff(t *testing.T) {
	on := loggingRsp(t, loggingInput, loggingClaim, nil)
	if n := len(loggingManifests(on)); n != 5 {
		t.Fatalf("logging on composes %d logging-operator objects, want 5", n)
	}
	for name, rsp := range map[string]*fnv1.RunFunctionResponse{
		"ClaimDropsIt":    loggingRsp(t, loggingInput, "spec: {}", nil),
		"PlatformStopsIt": loggingRsp(t, "apiVersion: tenantcluster.fn.crossplane.io/v1beta1\nkind: Input\n", loggingClaim, nil),
	} {
		if got := loggingManifests(rsp); len(got) > 0 {
			t.Errorf("%s: still composes %v", name, got)
		}
		// The copier too, and with its writer's Role the copied credentials (their owner) go.
		for n := range rsp.GetDesired().GetResources() {
			if strings.HasPrefix(n, "logging") {
				t.Errorf("%s: still composes %s", name, n)
			}
		}
		for _, c := range rsp.GetConditions() {
			if c.GetType() == "LoggingReady" {
				t.Errorf("%s: still reports LoggingReady", name)
			}
		}
		if _, ok := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)["logging"]; ok {
			t.Errorf("%s: still reports status.logging", name)
		}
	}
	// Crossplane keeps a condition the function no longer returns: a tenant whose logging was on
	// is told it is off.
	wasOn := tenanttest.ClaimXR("spec: {}\nstatus: {conditions: [{type: LoggingReady, status: \"True\", reason: Ready}]}")
	req := &fnv1.RunFunctionRequest{Input: st(t, loggingInput), Observed: &fnv1.State{Composite: res(t, wasOn)}}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	wantOff := condition("LoggingReady", fnv1.Status_STATUS_CONDITION_TRUE, "Off",
		"Logging is off: the claim names no spec.logging, or the platform does not offer logging; nothing of this tenant's is collected")
	if got := rsp.GetConditions(); len(got) != 2 || got[1].String() != wantOff.String() {
		t.Errorf("logging turned off: conditions %v, want VClusterReady and %v", got, wantOff)
	}
	again := loggingRsp(t, loggingInput, loggingClaim, nil)
	if diff := cmp.Diff(loggingManifests(on), loggingManifests(again)); diff != "" {
		t.Errorf("turned on again: -first, +again:\n%s", diff)
	}
}

// TestLoggingFlowsNeverCrossTenants renders two tenants with the same claim name (so the same
// virtual cluster name, and the same vcluster labels on their pods) in different namespaces, and
// evaluates every selector of each tenant's Flow against the other's pods the way the
// logging-operator does: a Flow selects pods of its own namespace only, by labels.
func TestLoggingFlowsNeverCrossTenants(t *testing.T) {
	type pod struct {
		namespace string
		labels    labels.Set
	}
	flows := map[string]map[string]any{}
	var pods []pod
	for _, ns := range []string{"team-a", "team-b"} {
		xr := strings.Replace(tenanttest.ClaimXR(loggingClaim), "crossplane.io/claim-namespace: team-a", "crossplane.io/claim-namespace: "+ns, 1)
		req := &fnv1.RunFunctionRequest{Input: st(t, loggingInput), Observed: &fnv1.State{Composite: res(t, xr)}}
		rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		flow := loggingManifests(rsp)["Flow/tenant-logs"]
		host := flow["metadata"].(map[string]any)["namespace"].(string)
		flows[ns] = flow
		for _, vns := range []string{"shop", "default", "kube-system"} {
			pods = append(pods, pod{namespace: host, labels: labels.Set{"vcluster.loft.sh/managed-by": "dev", "vcluster.loft.sh/namespace": vns, "tier": "web"}})
		}
		pods = append(pods, pod{namespace: host, labels: labels.Set{"app": "vcluster", "release": "dev"}})
	}
	for ns, flow := range flows {
		host := flow["metadata"].(map[string]any)["namespace"].(string)
		selected := 0
		for _, m := range flow["spec"].(map[string]any)["match"].([]any) {
			sel := labels.SelectorFromSet(toSet(m.(map[string]any)["select"].(map[string]any)["labels"].(map[string]any)))
			for _, p := range pods {
				if p.namespace != host || !sel.Matches(p.labels) {
					continue
				}
				selected++
				if p.labels["vcluster.loft.sh/namespace"] == "kube-system" || p.labels["app"] == "vcluster" {
					t.Errorf("%s's Flow selects a pod it must not: %v", ns, p.labels)
				}
			}
		}
		if selected != 2 {
			t.Errorf("%s's Flow selects %d of its own pods, want 2 (shop and default)", ns, selected)
		}
	}
	if flows["team-a"]["metadata"].(map[string]any)["namespace"] == flows["team-b"]["metadata"].(map[string]any)["namespace"] {
		t.Fatal("two tenants share a host namespace")
	}
}

// loggingReady is the response's LoggingReady condition, nil without one.
func loggingReady(rsp *fnv1.RunFunctionResponse) *fnv1.Condition {
	return conditionOf(rsp, "LoggingReady")
}

func toSet(m map[string]any) labels.Set {
	s := labels.Set{}
	for k, v := range m {
		s[k] = v.(string)
	}
	return s
}

// TestLoggingNeverShrinks: what the logging layer composes does not depend on what is observed.
// Every one of its Objects observed ready, observed with problems, or not observed at all, the
// desired set is the same; only readiness, the condition and the status follow the observations.
func TestLoggingNeverShrinks(t *testing.T) {
	bare := loggingRsp(t, loggingInput, loggingClaim, nil)
	all := map[string]*fnv1.Resource{}
	for name := range bare.GetDesired().GetResources() {
		all[name] = res(t, `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: x, annotations: {crossplane.io/composition-resource-name: `+name+`}}
status:
  conditions: [{type: Ready, status: "True", reason: Available}, {type: Synced, status: "True", reason: ReconcileSuccess}]
  atProvider: {manifest: {status: {active: true, phase: Active}}}
`)
	}
	for name, observed := range map[string]map[string]*fnv1.Resource{"AllReady": all, "None": nil} {
		rsp := loggingRsp(t, loggingInput, loggingClaim, observed)
		if diff := cmp.Diff(resourceNames(bare), resourceNames(rsp)); diff != "" {
			t.Errorf("%s: the desired set changed: -unobserved, +observed:\n%s", name, diff)
		}
	}
	ready := loggingRsp(t, loggingInput, loggingClaim, all)
	for _, c := range ready.GetConditions() {
		if c.GetType() == "LoggingReady" && c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE {
			t.Errorf("every logging Object ready, yet LoggingReady is %s: %s", c.GetStatus(), c.GetMessage())
		}
	}
}
