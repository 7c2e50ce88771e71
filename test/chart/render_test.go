package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource/composite"
	"google.golang.org/protobuf/types/known/structpb"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/fn"
	"github.com/tenantcluster/function-tenantcluster/internal/claim"
	composed "github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/pipeline"
	"github.com/tenantcluster/function-tenantcluster/internal/requests"
	tenantmodel "github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// repo is the function's repository: this module lives in test/chart.
var repo = filepath.Join("..", "..")

// vclusterChart is the real vcluster chart, from the Go module github.com/loft-sh/vcluster at the
// version this module's go.mod pins (and go.sum verifies), loaded once.
var vclusterChart = sync.OnceValues(func() (*chart.Chart, error) {
	// Listed but possibly not downloaded yet: download first (a no-op when it is).
	if out, err := exec.Command("go", "mod", "download", "github.com/loft-sh/vcluster").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go mod download: %w: %s", err, out)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/loft-sh/vcluster").Output()
	if err != nil {
		return nil, err
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	c, err := loader.Load(filepath.Join(dir, "chart"))
	if err != nil {
		return nil, err
	}
	// The module's Chart.yaml carries a placeholder version that vcluster's release pipeline
	// replaces; the chart's images are tagged with it, so it is set the way the published chart
	// has it (as cmd/chartrepo does for the e2e).
	c.Metadata.Version = strings.TrimPrefix(version, "v")
	return c, nil
})

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := vclusterChart()
	if err != nil {
		t.Fatalf("cannot load the vcluster chart from its Go module: %v", err)
	}
	return c
}

// tenant is one case: a claim (an example, possibly changed) rendered with the shipped
// Composition's input (possibly changed).
type tenant struct {
	name string
	// claim is a file in examples/claims.
	claim string
	// spec fields set on top of the claim's.
	spec map[string]any
	// input changes the Composition's function input before the function runs.
	input func(in map[string]any)
	// namespace moves the claim to another namespace ("": the example's).
	namespace string
}

// release is what the function composed for a tenant: the vcluster Release's name, namespace
// and values, and the function's desired state.
type release struct {
	name, namespace string
	values          map[string]any
	desired         map[string]*fnv1.Resource
	// declared is what the function's layers declare for the tenant: the workloads they run in
	// its host namespace and the rules they put there.
	declared pipeline.Result
}

// compose runs the function on the tenant's claim the way `make render` does and returns its
// vcluster Release.
func compose(t *testing.T, tc tenant) release {
	t.Helper()
	xr, err := claim.ReadXR(filepath.Join(repo, "examples", "claims", tc.claim))
	if err != nil {
		t.Fatal(err)
	}
	if tc.namespace != "" {
		labels, _, _ := unstructured.NestedStringMap(xr, "metadata", "labels")
		labels["crossplane.io/claim-namespace"] = tc.namespace
		if err := unstructured.SetNestedStringMap(xr, labels, "metadata", "labels"); err != nil {
			t.Fatal(err)
		}
	}
	spec, _ := xr["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		xr["spec"] = spec
	}
	for k, v := range tc.spec {
		spec[k] = v
	}
	in := compositionInput(t)
	if tc.input != nil {
		tc.input(in)
	}
	xrs, err := structpb.NewStruct(jsonRoundTrip(t, xr))
	if err != nil {
		t.Fatal(err)
	}
	ins, err := structpb.NewStruct(jsonRoundTrip(t, in))
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := fn.NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input:    ins,
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xrs}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("%s: the function refused the tenant: %s", tc.name, r.GetMessage())
		}
	}
	desired := rsp.GetDesired().GetResources()
	r := desired["vcluster"].GetResource().AsMap()
	if r == nil {
		t.Fatalf("%s: no vcluster Release composed", tc.name)
	}
	meta, _ := r["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	fp, _ := r["spec"].(map[string]any)["forProvider"].(map[string]any)
	values, _ := fp["values"].(map[string]any)
	name, _ := ann["crossplane.io/external-name"].(string)
	ns, _ := fp["namespace"].(string)
	return release{name: name, namespace: ns, values: values, desired: desired, declared: declare(t, ins.AsMap(), xrs.AsMap())}
}

// declare runs the function's layers on the tenant as RunFunction does, for what they declare.
func declare(t *testing.T, input, xr map[string]any) pipeline.Result {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	in := &inputv1beta1.Input{}
	if err := json.Unmarshal(raw, in); err != nil {
		t.Fatal(err)
	}
	in.Default()
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	tn, err := tenantmodel.New(&composite.Unstructured{Unstructured: unstructured.Unstructured{Object: xr}}, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Run(tn, composed.Observed{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compositionInput is the function input of the shipped Composition (apis/composition.yaml).
func compositionInput(t *testing.T) map[string]any {
	t.Helper()
	in, err := requests.CompositionInput(filepath.Join(repo, "apis", "composition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return in.AsMap()
}

func jsonRoundTrip(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// rendered is what the chart makes for one release, by kind and name.
type rendered struct {
	objects []*unstructured.Unstructured
	// config is the vcluster configuration the syncer reads: the chart's merged values as
	// written into the vc-config Secret.
	config []byte
}

// render renders the real chart with the release's values the way Helm installs it: values
// coalesced with the chart's defaults and validated against its schema, templates rendered
// for a fresh install.
func render(t *testing.T, r release) rendered {
	t.Helper()
	out := rendered{objects: renderChart(t, loadChart(t), r.name, r.namespace, r.values)}
	cfg := out.one(t, "Secret", "vc-config-"+r.name)
	data, _, _ := unstructured.NestedString(cfg.Object, "data", "config.yaml")
	var decoded []byte
	if err := json.Unmarshal([]byte(`"`+data+`"`), &decoded); err != nil {
		t.Fatalf("cannot decode the vcluster config Secret: %v", err)
	}
	out.config = decoded
	return out
}

// renderChart renders a chart with values the way Helm installs it: the dependencies switched
// off in the values dropped (as Helm's install does), values coalesced with the chart's defaults
// and validated against its schema, templates rendered for a fresh install; the objects in
// file order, namespaced ones in the release's namespace.
func renderChart(t *testing.T, c *chart.Chart, name, namespace string, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	if err := chartutil.ProcessDependenciesWithMerge(c, values); err != nil {
		t.Fatalf("Helm cannot resolve the chart's dependencies with the values: %v", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.35.0", Major: "1", Minor: "35"}
	vals, err := chartutil.ToRenderValues(c, values, chartutil.ReleaseOptions{
		Name: name, Namespace: namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		t.Fatalf("Helm refuses the values: %v", err)
	}
	files, err := engine.Render(c, vals)
	if err != nil {
		t.Fatalf("the chart does not render with the values: %v", err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []*unstructured.Unstructured
	for _, file := range names {
		if !strings.HasSuffix(file, ".yaml") || strings.Contains(filepath.Base(file), "_") {
			continue
		}
		for _, doc := range bytes.Split([]byte(files[file]), []byte("\n---")) {
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj := map[string]any{}
			if err := yaml.Unmarshal(doc, &obj); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if len(obj) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: obj}
			if u.GetNamespace() == "" && !clusterScoped[u.GetKind()] {
				// Helm installs namespaced objects into the release's namespace.
				u.SetNamespace(namespace)
			}
			out = append(out, u)
		}
	}
	return out
}

// clusterScoped are the cluster-scoped kinds a chart may render.
var clusterScoped = map[string]bool{
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true, "Namespace": true,
	"PriorityClass": true, "StorageClass": true, "PodSecurityPolicy": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "APIService": true,
}

// all returns the rendered objects of a kind.
func (r rendered) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the rendered object of a kind and name, failing the test without it.
func (r rendered) one(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range r.all(kind) {
		if o.GetName() == name {
			return o
		}
	}
	t.Fatalf("the chart rendered no %s %s", kind, name)
	return nil
}

// into converts a rendered object into its typed form, strictly: a field the type does not have
// is a mistake in the chart or in this test.
func into(t *testing.T, u *unstructured.Unstructured, obj any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// readClaim reads an example claim.
func readClaim(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, "examples", "claims", name))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
