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

// FuzzRunFunction feeds arbitrary XRs, inputs and observed vcluster Releases (as YAML) to the
// function. It must never panic (the recover in RunFunction would hide that, so the fuzzer checks
// the result for it) and never return an error.
func FuzzRunFunction(f *testing.F) {
	f.Add(legacyXR, "", "")
	f.Add(`{apiVersion: namespaced.platform.tenantcluster.io/v1alpha1, kind: TenantCluster, metadata: {name: a, namespace: b}, spec: {size: large, isolation: {podSecurity: baseline}}}`, `{vcluster: {kubernetesVersions: [{version: "1.35", imageTag: v1.35.0}]}}`, "")
	f.Add(`{metadata: {name: "ä.b", labels: {crossplane.io/claim-name: "{{ .x }}"}}, spec: {kubernetesVersion: "1.99"}}`, `{namespace: {prefix: "x-"}, defaults: {size: none}}`, "")
	f.Add(`{spec: 3}`, `{sizes: {s: {controlPlane: {requests: {cpu: "-1"}}}}}`, `{status: 3}`)
	f.Add(`{metadata: {name: d}, spec: {resources: {quota: {requests.cpu: "1e3"}, containerDefaults: {requests: {cpu: 1m}}}, isolation: {network: {publicEgress: true, egressCIDRs: ["10.0.0.0/8", "::1/128"]}}, exposure: {type: Ingress}}, status: {vcluster: {backingStore: etcd}}}`,
		`{exposure: {ingress: {domain: a.b, controller: haproxy}, loadBalancer: {domain: c.d}}, policy: {maxQuota: {requests.cpu: "2"}, network: {egressCIDRs: ["10.0.0.0/8"]}}, sizes: {s: {replicas: 3, limitRange: {max: {cpu: "1"}}}}, defaults: {size: s}}`,
		`{status: {conditions: [{type: Synced, status: "False", message: "cannot get connection details"}], atProvider: {state: deployed, revision: 9}}}`)

	fn := NewFunction(logging.NewNopLogger())
	f.Fuzz(func(t *testing.T, xrYAML, inputYAML, releaseYAML string) {
		req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{}}
		if s := yamlStruct(xrYAML); s != nil {
			req.Observed.Composite = &fnv1.Resource{Resource: s}
		}
		req.Input = yamlStruct(inputYAML)
		if s := yamlStruct(releaseYAML); s != nil {
			req.Observed.Resources = map[string]*fnv1.Resource{string(resourceVCluster): {Resource: s}}
		}
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
