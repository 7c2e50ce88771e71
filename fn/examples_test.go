package fn

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/claim"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/namespace"
	"github.com/tenantcluster/function-tenantcluster/internal/requests"
	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// exampleFiles lists every example a tenant or platform engineer might render.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "claims", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "examples", "xr.yaml"), filepath.Join("..", "examples", "v2", "tenantcluster.yaml"))
	sort.Strings(files)
	if len(files) < 4 {
		t.Fatalf("expected the example claims, found %v", files)
	}
	return files
}

// compositionInput returns the function input of a Composition's tenantcluster step.
func compositionInput(t testing.TB, path string) *structpb.Struct {
	t.Helper()
	in, err := requests.CompositionInput(path)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// renderExample runs the function on an example the way `make render` does.
func renderExample(t *testing.T, path string) *fnv1.RunFunctionResponse {
	t.Helper()
	return renderExampleObserved(t, path, nil)
}

// renderExampleObserved runs the function on an example with observed composed resources, the
// way `make render OBSERVED=...` does.
func renderExampleObserved(t *testing.T, path string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	xr, err := claim.ReadXR(path)
	if err != nil {
		t.Fatal(err)
	}
	comp := filepath.Join("..", "apis", "composition.yaml")
	if claim.IsNamespaced(xr) {
		comp = filepath.Join("..", "examples", "v2", "composition.yaml")
	}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		t.Fatal(err)
	}
	req := &fnv1.RunFunctionRequest{
		Input:    compositionInput(t, comp),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: s}, Resources: observed},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: RunFunction: %v", path, err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("%s: fatal result: %s", path, r.GetMessage())
		}
	}
	return rsp
}

// TestExamplesRenderValidVClusterValues renders every example and checks that the vcluster
// Release pins the chart version of the shipped Composition exactly and that its values are valid
// for that chart version's values schema (which rejects unknown keys almost everywhere).
func TestExamplesRenderValidVClusterValues(t *testing.T) {
	shared := valuesschema.SharedDir(t)
	for _, path := range exampleFiles(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			rsp := renderExample(t, path)
			release := rsp.GetDesired().GetResources()[string(compose.ResourceVCluster)].GetResource().AsMap()
			if release == nil {
				t.Fatalf("%s: no vcluster Release in the desired state", path)
			}
			fp, _ := release["spec"].(map[string]any)["forProvider"].(map[string]any)
			version, _ := fp["chart"].(map[string]any)["version"].(string)
			if version != "0.36.1" {
				t.Errorf("%s: chart version is %q, want exactly 0.36.1 (the shipped Composition's pin)", path, version)
			}
			schema := valuesschema.Compile(t, filepath.Join(shared, "schemas", "vcluster", "v"+version, "values.schema.json"))
			if err := schema.Validate(valuesschema.Instance(t, valuesschema.WithoutNulls(fp["values"].(map[string]any)))); err != nil {
				t.Errorf("%s: the vcluster values do not validate against the chart %s schema:\n%v", path, version, err)
			}
		})
	}
}

// TestValuesSchemaCatchesMistakes makes sure the schema check above can fail: a misspelt key and
// a value of the wrong type are rejected.
func TestValuesSchemaCatchesMistakes(t *testing.T) {
	schema := valuesschema.Compile(t, filepath.Join(valuesschema.SharedDir(t), "schemas", "vcluster", "v0.36.1", "values.schema.json"))
	cases := map[string]map[string]any{
		"UnknownKey": {"controlPlane": map[string]any{"distro": map[string]any{"k8s": map[string]any{"enable": true}}}},
		"WrongType":  {"policies": map[string]any{"podSecurityStandard": 3}},
	}
	for name, values := range cases {
		t.Run(name, func(t *testing.T) {
			if err := schema.Validate(valuesschema.Instance(t, values)); err == nil {
				t.Errorf("values %v validated, want a schema error", values)
			}
		})
	}
}

// TestFullExampleIsolation renders examples/claims/full.yaml with the shipped Composition and
// checks the isolation the tenant gets: the medium profile's quota with the claim's two raised
// entries, the limit range with the claim's container defaults, network policies with no public
// egress but the one database range and Rancher's address on Rancher's port, and Pod Security
// restricted in the virtual cluster (the vcluster layer), with the host namespace enforcing baseline (what Rancher's
// agent needs, see tenant.HostPodSecurity) and still auditing and warning at restricted.
func TestFullExampleIsolation(t *testing.T) {
	rsp := renderExample(t, filepath.Join("..", "examples", "claims", "full.yaml"))
	release := rsp.GetDesired().GetResources()[string(compose.ResourceVCluster)].GetResource().AsMap()
	values := release["spec"].(map[string]any)["forProvider"].(map[string]any)["values"].(map[string]any)
	want := map[string]any{}
	if err := yaml.Unmarshal([]byte(`
resourceQuota:
  enabled: true
  quota:
    requests.cpu: "12"
    requests.memory: 16Gi
    limits.cpu: "16"
    limits.memory: 32Gi
    requests.ephemeral-storage: 40Gi
    limits.ephemeral-storage: 80Gi
    requests.storage: 100Gi
    count/persistentvolumeclaims: "20"
    count/pods: "150"
    count/services: "40"
    count/configmaps: "200"
    count/secrets: "200"
    count/endpoints: "80"
    services.loadbalancers: "0"
    services.nodeports: "0"
limitRange:
  enabled: true
  default: {cpu: 500m, memory: 256Mi, ephemeral-storage: 4Gi}
  defaultRequest: {cpu: 50m, memory: 64Mi, ephemeral-storage: 1Gi}
  max: {cpu: "4", memory: 8Gi}
networkPolicy:
  enabled: true
  workload:
    publicEgress: {enabled: false}
    egress:
    - to: [{ipBlock: {cidr: 10.20.30.0/24}}]
    - to: [{ipBlock: {cidr: 10.0.0.10/32}}]
      ports: [{protocol: TCP, port: 443}]
`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, values["policies"]); diff != "" {
		t.Errorf("policies of full.yaml: -want, +got:\n%s", diff)
	}
	ns := rsp.GetDesired().GetResources()[string(compose.ResourceNamespace)].GetResource().AsMap()
	labels := ns["spec"].(map[string]any)["forProvider"].(map[string]any)["manifest"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	for l, level := range map[string]string{namespace.LabelPSAEnforce: "baseline", namespace.LabelPSAAudit: "restricted", namespace.LabelPSAWarn: "restricted"} {
		if labels[l] != level {
			t.Errorf("host namespace label %s = %v, want %s", l, labels[l], level)
		}
	}
}

// TestShippedSizesAreTheDefaults: the shipped Composition writes out every default of the input,
// so its size profiles must be exactly those an input without sizes gets (they disagreed once,
// and the shipped large profile could not hold its own etcd).
func TestShippedSizesAreTheDefaults(t *testing.T) {
	in, err := decodeInput(&fnv1.RunFunctionRequest{Input: compositionInput(t, filepath.Join("..", "apis", "composition.yaml"))})
	if err != nil {
		t.Fatal(err)
	}
	want := inputv1beta1.DefaultSizes()
	for name, p := range want {
		p.Persistence.RetentionPolicy = inputv1beta1.DefaultRetentionPolicy
		want[name] = p
	}
	if diff := cmp.Diff(want, in.Sizes); diff != "" {
		t.Errorf("apis/composition.yaml sizes differ from DefaultSizes (-want, +got):\n%s", diff)
	}
}

// TestCompositionsPublishConnectionSecrets: the function gives a legacy XR its kubeconfig as
// connection details, but Crossplane writes an XR's connection secret (and from it the claim's)
// only when the Composition names a namespace for it. Without one a claim's
// writeConnectionSecretToRef stays empty forever; the e2e found that, this keeps it found.
func TestCompositionsPublishConnectionSecrets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "apis", "composition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var comp struct {
		Spec struct {
			WriteConnectionSecretsToNamespace string `json:"writeConnectionSecretsToNamespace"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &comp); err != nil {
		t.Fatal(err)
	}
	if comp.Spec.WriteConnectionSecretsToNamespace == "" {
		t.Error("apis/composition.yaml sets no spec.writeConnectionSecretsToNamespace: claims would never get their kubeconfig")
	}
}
