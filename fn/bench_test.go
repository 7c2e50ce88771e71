package fn

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
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
