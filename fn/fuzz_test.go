package fn

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
)

// FuzzRunFunction feeds arbitrary XRs, inputs, observed vcluster Releases and observed Rancher
// Objects (as YAML; the last one stands for every Object whose observed manifest the Rancher
// layer reads) to the function. It must never panic (the recover in RunFunction would hide that, so the fuzzer checks
// the result for it) and never return an error.
func FuzzRunFunction(f *testing.F) {
	f.Add(legacyXR, "", "", "")
	f.Add(`{apiVersion: namespaced.platform.tenantcluster.io/v1alpha1, kind: TenantCluster, metadata: {name: a, namespace: b}, spec: {size: large, isolation: {podSecurity: baseline}}}`, `{vcluster: {kubernetesVersions: [{version: "1.35", imageTag: v1.35.0}]}}`, "", "")
	f.Add(`{metadata: {name: "ä.b", labels: {crossplane.io/claim-name: "{{ .x }}"}}, spec: {kubernetesVersion: "1.99"}}`, `{namespace: {prefix: "x-"}, defaults: {size: none}}`, "", "")
	f.Add(`{spec: 3}`, `{sizes: {s: {controlPlane: {requests: {cpu: "-1"}}}}}`, `{status: 3}`, `{status: {atProvider: 3}}`)
	f.Add(`{metadata: {name: d}, spec: {resources: {quota: {requests.cpu: "1e3"}, containerDefaults: {requests: {cpu: 1m}}}, isolation: {network: {publicEgress: true, egressCIDRs: ["10.0.0.0/8", "::1/128"]}}, exposure: {type: Ingress}}, status: {vcluster: {backingStore: etcd}}}`,
		`{exposure: {ingress: {domain: a.b, controller: haproxy}, loadBalancer: {domain: c.d}}, policy: {maxQuota: {requests.cpu: "2"}, network: {egressCIDRs: ["10.0.0.0/8"]}}, sizes: {s: {replicas: 3, limitRange: {max: {cpu: "1"}}}}, defaults: {size: s}}`,
		`{status: {conditions: [{type: Synced, status: "False", message: "cannot get connection details"}], atProvider: {state: deployed, revision: 9}}}`, "")
	f.Add(`{metadata: {name: r, uid: "u-1"}, spec: {rancher: {owners: [{user: "local://u-a"}, {group: "x://y z"}], members: [{user: "local://u-a"}], project: {id: "local:p-a"}}}, status: {rancher: {clusterId: c-m-1, tokenSource: Secret, tokenSecretName: s, createdProjectId: "local:p-b"}}}`,
		`{rancher: {enabled: true, url: "https://r.example.com:8443/", egressCIDRs: ["10.1.0.0/16"], agent: {envVars: [{name: A, value: b}], clusterAgent: {appendTolerations: [{key: k}]}}, projects: {hostClusterId: local, create: true, existing: {"": [p-a]}}}}`,
		"",
		`{status: {conditions: [{type: Ready, status: "True"}], atProvider: {manifest: {metadata: {name: c-m-1, namespace: c-m-1}, status: {clusterName: c-m-1, manifestUrl: "https://x/v3/import/t_c-m-1.yaml", tokenSecretName: "", backingNamespace: local-p-b, conditions: [{type: Connected, status: "True"}, {type: Failed, status: "True", message: m}]}}}}}`)

	fn := NewFunction(logging.NewNopLogger())
	f.Fuzz(func(t *testing.T, xrYAML, inputYAML, releaseYAML, rancherYAML string) {
		req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{}}
		if s := yamlStruct(xrYAML); s != nil {
			req.Observed.Composite = &fnv1.Resource{Resource: s}
		}
		req.Input = yamlStruct(inputYAML)
		req.Observed.Resources = map[string]*fnv1.Resource{}
		if s := yamlStruct(releaseYAML); s != nil {
			req.Observed.Resources[string(compose.ResourceVCluster)] = &fnv1.Resource{Resource: s}
		}
		if s := yamlStruct(rancherYAML); s != nil {
			for _, n := range []string{string(rancher.ResourceCluster), string("rancher-mgmt"), string(rancher.ResourceProject), string(rancher.ResourceRegistrarJob)} {
				req.Observed.Resources[n] = &fnv1.Resource{Resource: s}
			}
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
