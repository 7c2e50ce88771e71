package fn

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// benchTenants are the tenants `make bench` measures, each through its observed history: the
// minimal claim through the vcluster's life, the full claim through its Rancher registration.
var benchTenants = []struct {
	name, claim string
	history     []string
}{
	{"minimal", "minimal.yaml", []string{"", "kubeconfig-pending", "deployed"}},
	{"full", "full.yaml", rancherHistory("rancher/3-connected")},
}

// benchSteps are the requests Crossplane sends a tenant at each step of its history, with the
// XR status the step before wrote (as TestNeverShrinks builds them), by step name.
func benchSteps(b *testing.B, claim string, history []string) (names []string, reqs []*fnv1.RunFunctionRequest) {
	b.Helper()
	f := NewFunction(logging.NewNopLogger())
	path := filepath.Join("..", "examples", "claims", claim)
	var status map[string]any
	for _, step := range history {
		req := exampleRequest(b, path, step, status)
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		status, _ = rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
		names = append(names, stepName(step))
		reqs = append(reqs, req)
	}
	return names, reqs
}

// stepName names a step by its last observed folder (0-new for none): deployed, 3-connected.
func stepName(step string) string {
	if step == "" {
		return "0-new"
	}
	last := step[strings.LastIndex(step, ",")+1:]
	return strings.ReplaceAll(strings.TrimPrefix(last, "rancher/"), "/", "-")
}

// BenchmarkRunFunction composes each tenant at each step of its history, in process: what the
// function itself costs per call, without gRPC or protobuf wire encoding.
func BenchmarkRunFunction(b *testing.B) {
	f := NewFunction(logging.NewNopLogger())
	for _, tn := range benchTenants {
		names, reqs := benchSteps(b, tn.claim, tn.history)
		for i, req := range reqs {
			b.Run(tn.name+"/"+names[i], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := f.RunFunction(context.Background(), req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCallBreakdown splits one call for the full, connected tenant into what gRPC does
// around the function (decode the request, encode the response: protobuf wire format) and what
// the function does (compose), so that a change can be seen where it lands.
func BenchmarkCallBreakdown(b *testing.B) {
	f := NewFunction(logging.NewNopLogger())
	_, reqs := benchSteps(b, "full.yaml", rancherHistory("rancher/3-connected"))
	req := reqs[len(reqs)-1]
	wireReq, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	wireRsp, err := proto.Marshal(rsp)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode-request", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(wireReq)))
		for b.Loop() {
			if err := proto.Unmarshal(wireReq, &fnv1.RunFunctionRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.RunFunction(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-response", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(wireRsp)))
		for b.Loop() {
			if _, err := proto.Marshal(rsp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScale composes the full tenant, registered and connected, with 1 to 32 owners and as
// many members (the API's maximum is 32 of each): every principal adds a role binding in
// Rancher's cluster and project, so the request and the response grow with it. Every composed
// resource is observed Ready and Synced, as Crossplane reports them once they exist. Time and
// memory per call should grow at most linearly with the resources.
func BenchmarkScale(b *testing.B) {
	f := NewFunction(logging.NewNopLogger())
	path := filepath.Join("..", "examples", "claims", "full.yaml")
	for _, n := range []int{1, 8, 32} {
		req := scaledRequest(b, f, path, n)
		b.Run(fmt.Sprintf("principals-%d/observed-%d", 2*n, len(req.GetObserved().GetResources())), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(proto.Size(req)))
			for b.Loop() {
				if _, err := f.RunFunction(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// scaledRequest is the full tenant's request with n owners and n members once everything it
// composes is observed: the registered, connected steps of examples/observed/rancher, plus each
// further composed resource as Crossplane observes it (Ready, Synced), with the status the run
// before wrote, until the composed set stops growing.
func scaledRequest(b *testing.B, f *Function, path string, n int) *fnv1.RunFunctionRequest {
	b.Helper()
	const steps = "rancher/0-deployed,rancher/1-cluster,rancher/2-registering,rancher/3-connected"
	owners, members := make([]any, n), make([]any, n)
	for i := range n {
		owners[i] = map[string]any{"group": fmt.Sprintf("keycloakoidc_group://owners-%02d", i)}
		members[i] = map[string]any{"user": fmt.Sprintf("local://u-member%02d", i)}
	}
	var status map[string]any
	var desired map[string]*fnv1.Resource
	for round := 0; ; round++ {
		req := exampleRequest(b, path, steps, status)
		rancher := req.GetObserved().GetComposite().GetResource().GetFields()["spec"].GetStructValue().GetFields()["rancher"].GetStructValue()
		for k, v := range map[string][]any{"owners": owners, "members": members} {
			list, err := structpb.NewList(v)
			if err != nil {
				b.Fatal(err)
			}
			rancher.GetFields()[k] = structpb.NewListValue(list)
		}
		for name, r := range desired {
			if _, ok := req.GetObserved().GetResources()[name]; !ok {
				req.GetObserved().GetResources()[name] = asObservedReady(b, name, r)
			}
		}
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if len(rsp.GetDesired().GetResources()) == len(desired) {
			return req
		}
		if round == 5 {
			b.Fatalf("the composed set still grows after %d rounds", round)
		}
		desired = rsp.GetDesired().GetResources()
		status, _ = rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	}
}

// asObservedReady is a desired composed resource as Crossplane observes it once it exists and its
// provider reports it Ready and Synced.
func asObservedReady(b *testing.B, name string, r *fnv1.Resource) *fnv1.Resource {
	b.Helper()
	m := r.GetResource().AsMap()
	meta, _ := m["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	meta["annotations"] = map[string]any{"crossplane.io/composition-resource-name": name}
	m["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Ready", "status": "True", "reason": "Available"},
		map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
	}}
	s, err := structpb.NewStruct(m)
	if err != nil {
		b.Fatal(err)
	}
	return &fnv1.Resource{Resource: s}
}
