package fn

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

// FuzzRunFunction feeds arbitrary XRs and inputs (as YAML) to the function. It must never panic
// (the recover in RunFunction would hide that, so the fuzzer checks the result for it) and never
// return an error.
func FuzzRunFunction(f *testing.F) {
	f.Add(legacyXR, "")
	f.Add(`{apiVersion: namespaced.platform.tenantcluster.io/v1alpha1, kind: TenantCluster, metadata: {name: a, namespace: b}, spec: {size: large, isolation: {podSecurity: baseline}}}`, `{vcluster: {kubernetesVersions: [{version: "1.35", imageTag: v1.35.0}]}}`)
	f.Add(`{metadata: {name: "ä.b", labels: {crossplane.io/claim-name: "{{ .x }}"}}, spec: {kubernetesVersion: "1.99"}}`, `{namespace: {prefix: "x-"}, defaults: {size: none}}`)
	f.Add(`{spec: 3}`, `{sizes: {s: {controlPlane: {requests: {cpu: "-1"}}}}}`)

	fn := NewFunction(logging.NewNopLogger())
	f.Fuzz(func(t *testing.T, xrYAML, inputYAML string) {
		req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{}}
		if s := yamlStruct(xrYAML); s != nil {
			req.Observed.Composite = &fnv1.Resource{Resource: s}
		}
		req.Input = yamlStruct(inputYAML)
		rsp, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned an error: %v", err)
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL && strings.HasPrefix(r.GetMessage(), internalError) {
				t.Fatalf("RunFunction panicked: %s", r.GetMessage())
			}
		}
	})
}

func yamlStruct(doc string) *structpb.Struct {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil || len(m) == 0 {
		return nil
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil
	}
	return s
}
