package fn

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tenantcluster/function-tenantcluster/internal/claim"
)

// observedHistory is the order a tenant's observed state goes through: nothing, then each folder
// of examples/observed.
var observedHistory = []string{"", "kubeconfig-pending", "deployed", "failed"}

// exampleRequest is the request Crossplane sends for an example at one step of its history: the
// observed resources of that step, and the XR status the previous step wrote (facts the function
// keeps in status are read back from there).
func exampleRequest(t *testing.T, path, step string, status map[string]any) *fnv1.RunFunctionRequest {
	t.Helper()
	xr, err := claim.ReadXR(path)
	if err != nil {
		t.Fatal(err)
	}
	if status != nil {
		xr["status"] = status
	}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		t.Fatal(err)
	}
	comp := filepath.Join("..", "apis", "composition.yaml")
	if claim.IsNamespaced(xr) {
		comp = filepath.Join("..", "examples", "v2", "composition.yaml")
	}
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    compositionInput(t, comp),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: s}},
	}
	if step != "" {
		req.Observed.Resources = readObserved(t, filepath.Join("..", "examples", "observed", step))
	}
	return req
}

// TestNeverShrinks walks every example through its observed history and, at every step, removes
// every subset of the observed resources from the request: the desired set must never lose a
// resource. A missing observation may make something not ready; it must never delete it.
func TestNeverShrinks(t *testing.T) {
	f := NewFunction(logging.NewNopLogger())
	for _, path := range exampleFiles(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			want := resourceNames(renderExample(t, path))
			var status map[string]any
			runs := 0
			for _, step := range observedHistory {
				full := exampleRequest(t, path, step, status)
				names := make([]string, 0, len(full.GetObserved().GetResources()))
				for n := range full.GetObserved().GetResources() {
					names = append(names, n)
				}
				slices.Sort(names)
				for mask := range 1 << len(names) {
					req := proto.Clone(full).(*fnv1.RunFunctionRequest)
					for i, n := range names {
						if mask&(1<<i) != 0 {
							delete(req.Observed.Resources, n)
						}
					}
					rsp, err := f.RunFunction(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					runs++
					if diff := cmp.Diff(want, resourceNames(rsp)); diff != "" {
						t.Fatalf("step %q without observed %v: the desired set changed: -want, +got:\n%s", step, removed(names, mask), diff)
					}
				}
				rsp, _ := f.RunFunction(context.Background(), full)
				status, _ = rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
			}
			if runs < 60 {
				t.Fatalf("only %d requests checked; the observed history is missing", runs)
			}
		})
	}
}

func removed(names []string, mask int) []string {
	var out []string
	for i, n := range names {
		if mask&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// TestDeterministic runs every example at every step of its history many times: the response
// must be byte-identical every time, although Go iterates maps in a different order each run.
func TestDeterministic(t *testing.T) {
	f := NewFunction(logging.NewNopLogger())
	marshal := proto.MarshalOptions{Deterministic: true}
	for _, path := range exampleFiles(t) {
		for _, step := range observedHistory {
			req := exampleRequest(t, path, step, nil)
			var first []byte
			for i := range 25 {
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := marshal.Marshal(rsp)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = b
					continue
				}
				if !bytes.Equal(first, b) {
					t.Fatalf("%s at step %q: run %d differs from the first", path, step, i)
				}
			}
		}
	}
}
