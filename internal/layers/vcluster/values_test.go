package vcluster

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// supportedChartVersions are the vcluster chart versions the function renders values for. Adding
// a version means adding its schema folder under ../shared/schemas/vcluster and a row here.
var supportedChartVersions = []string{"0.36.1"}

// proFieldsAllowed are the only fields marked "pro" in the chart's schema the function ever sets,
// and only when the input sets vcluster.allowPro.
var proFieldsAllowed = []string{"controlPlane.backingStore.etcd.embedded", "controlPlane.backingStore.etcd.embedded.enabled"}

// valueVariants are inputs and claims that together set every field of the values structs.
var valueVariants = map[string]struct{ input, spec string }{
	"Defaults":           {input: "{}", spec: "{}"},
	"Large":              {input: "{}", spec: "{size: large}"},
	"LargeWithPro":       {input: "{vcluster: {allowPro: true}}", spec: "{size: large}"},
	"IngressNginx":       {input: "{exposure: {ingress: {domain: t.example.com, className: nginx}}}", spec: "{exposure: {type: Ingress}}"},
	"IngressHAProxy":     {input: "{exposure: {ingress: {domain: t.example.com, controller: haproxy}}}", spec: "{exposure: {type: Ingress}}"},
	"IngressOther":       {input: "{exposure: {ingress: {domain: t.example.com, controller: other, annotations: {a: b}}}}", spec: "{exposure: {type: Ingress}}"},
	"LoadBalancer":       {input: "{exposure: {loadBalancer: {domain: t.example.com, annotations: {a: b}}}}", spec: "{exposure: {type: LoadBalancer}}"},
	"NoEgressButCIDRs":   {input: "{policy: {network: {egressCIDRs: [10.0.0.0/8]}}}", spec: "{isolation: {network: {publicEgress: false, egressCIDRs: [10.1.0.0/16, 10.2.3.4/24]}}}"},
	"QuotaAndDefaults":   {input: "{policy: {maxQuota: {count/pods: '99'}}}", spec: "{resources: {quota: {count/pods: '99'}, containerDefaults: {requests: {cpu: 10m}}}}"},
	"SchedulingAndStore": {input: `{sizes: {s: {replicas: 2, persistence: {size: 1Gi, storageClass: fast, retentionPolicy: Delete}, scheduling: {nodeSelector: {pool: vc}, priorityClassName: high, tolerations: [{key: k, operator: Exists}]}}}, defaults: {size: s}}`, spec: "{}"},
}

// TestValuesMatchEveryChartSchema renders the values of every variant and checks them against
// the schema of every supported chart version: valid, no key the chart removed (the schema
// rejects unknown keys), and no "pro" field unless the input allows it.
func TestValuesMatchEveryChartSchema(t *testing.T) {
	shared := valuesschema.SharedDir(t)
	for _, version := range supportedChartVersions {
		path := filepath.Join(shared, "schemas", "vcluster", "v"+version, "values.schema.json")
		schema := valuesschema.Compile(t, path)
		raw := readSchema(t, path)
		for name, v := range valueVariants {
			t.Run(version+"/"+name, func(t *testing.T) {
				tn := tenanttest.New(t, mergeInput(t, v.input, version), v.spec, "{}")
				values, err := compose.ToMap(mustValues(t, tn))
				if err != nil {
					t.Fatal(err)
				}
				// Helm validates the values after merging them over the chart's defaults, where a
				// null removes a default key (test/chart renders with Helm itself).
				if err := schema.Validate(valuesschema.Instance(t, valuesschema.WithoutNulls(values))); err != nil {
					t.Errorf("values do not validate against chart %s:\n%v", version, err)
				}
				for _, p := range proPaths(raw, raw, values, "") {
					if !tn.Input.VCluster.AllowPro || !slices.Contains(proFieldsAllowed, p) {
						t.Errorf("values set %s, which chart %s marks pro (allowPro=%v)", p, version, tn.Input.VCluster.AllowPro)
					}
				}
				if b, _ := json.Marshal(values); strings.Contains(strings.ToLower(string(b)), "snapshot") {
					t.Errorf("values carry a volume snapshot key, which chart 0.36 removed: %s", b)
				}
			})
		}
	}
}

// TestProPathsFindsProFields makes sure the pro check above can fail.
func TestProPathsFindsProFields(t *testing.T) {
	raw := readSchema(t, filepath.Join(valuesschema.SharedDir(t), "schemas", "vcluster", "v0.36.1", "values.schema.json"))
	values := map[string]any{"controlPlane": map[string]any{"backingStore": map[string]any{"etcd": map[string]any{"embedded": map[string]any{"enabled": true}}}}}
	got := proPaths(raw, raw, values, "")
	if diff := cmp.Diff(proFieldsAllowed, got); diff != "" {
		t.Errorf("proPaths(embedded etcd): -want, +got:\n%s", diff)
	}
}

// mergeInput sets the chart version on a variant's input.
func mergeInput(t *testing.T, input, version string) string {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(input), &m); err != nil {
		t.Fatal(err)
	}
	vc, _ := m["vcluster"].(map[string]any)
	if vc == nil {
		vc = map[string]any{}
	}
	vc["chart"] = map[string]any{"version": version}
	m["vcluster"] = vc
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readSchema(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // test fixture
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// proPaths lists, sorted, the paths of values whose schema (or referenced definition) is marked
// "pro": true.
func proPaths(root, node map[string]any, values map[string]any, prefix string) []string {
	node = resolveRef(root, node)
	props, _ := node["properties"].(map[string]any)
	var out []string
	for k, v := range values {
		ps, _ := props[k].(map[string]any)
		if ps == nil {
			continue
		}
		path := strings.TrimPrefix(prefix+"."+k, ".")
		if ps["pro"] == true || resolveRef(root, ps)["pro"] == true {
			out = append(out, path)
		}
		if child, ok := v.(map[string]any); ok {
			out = append(out, proPaths(root, ps, child, path)...)
		}
	}
	slices.Sort(out)
	return out
}

func resolveRef(root, node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		defs, _ := root["$defs"].(map[string]any)
		next, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if next == nil {
			return node
		}
		node = next
	}
}

// mustValues returns the tenant's vcluster chart values for a new virtual cluster.
func mustValues(t testing.TB, tn *tenant.Tenant) vclusterValues {
	t.Helper()
	v, err := chartValues(tn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
