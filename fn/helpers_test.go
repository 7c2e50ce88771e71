package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// st turns a YAML document into the protobuf Struct a request or response holds. Tests write
// expectations as YAML so they read like the manifests they describe.
func st(t testing.TB, doc string) *structpb.Struct {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("bad YAML in test: %v\n%s", err, doc)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("cannot convert test YAML: %v", err)
	}
	return s
}

// res is a response or request Resource from YAML.
func res(t testing.TB, doc string) *fnv1.Resource {
	t.Helper()
	return &fnv1.Resource{Resource: st(t, doc)}
}

// readyRes is a desired Resource with an explicit readiness.
func readyRes(t testing.TB, doc string, ready bool) *fnv1.Resource {
	t.Helper()
	r := res(t, doc)
	r.Ready = fnv1.Ready_READY_FALSE
	if ready {
		r.Ready = fnv1.Ready_READY_TRUE
	}
	return r
}

func condition(typ string, status fnv1.Status, reason, message string) *fnv1.Condition {
	return &fnv1.Condition{
		Type: typ, Status: status, Reason: reason, Message: &message,
		Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
}

func fatal(message string) *fnv1.Result {
	return &fnv1.Result{Severity: fnv1.Severity_SEVERITY_FATAL, Message: message, Target: fnv1.Target_TARGET_COMPOSITE.Enum()}
}

// claimRsp renders a test claim (tenanttest.ClaimXR) under an input with observed composed
// resources, failing the test on a Fatal result.
func claimRsp(t *testing.T, input, claim string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    st(t, input),
		Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR(claim)), Resources: observed},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("fatal: %s", r.GetMessage())
		}
	}
	return rsp
}

// conditionOf is the response's condition of a type, nil without one.
func conditionOf(rsp *fnv1.RunFunctionResponse, typ string) *fnv1.Condition {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}
