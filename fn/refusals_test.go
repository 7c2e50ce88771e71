package fn

import (
	"context"
	"maps"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// boundedInput is a platform that lets claims raise two quota entries, reach one private range,
// and expose API servers through an ingress controller, but never the internet.
const boundedInput = `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
exposure:
  ingress: {domain: tenants.example.com}
policy:
  maxQuota: {requests.cpu: "16", count/pods: "200"}
  network:
    denyPublicEgress: true
    egressCIDRs: [10.20.0.0/16]
`

// rancherInput is a platform that registers tenants in Rancher and opens project p-shared to
// namespace team-a.
const rancherInput = `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
rancher:
  enabled: true
  url: https://rancher.example.com
  projects: {hostClusterId: local, existing: {team-a: [p-shared]}}
`

// rancherRefusedRsp is the response to a claim refused for one of its spec.rancher fields.
func rancherRefusedRsp(message string) *fnv1.RunFunctionResponse {
	rsp := refusedRsp(message)
	rsp.Conditions[0].Type = "RancherRegistered"
	return rsp
}

// loggingRefusedRsp is the response to a claim refused for one of its spec.logging fields.
func loggingRefusedRsp(message string) *fnv1.RunFunctionResponse {
	rsp := refusedRsp(message)
	rsp.Conditions[0].Type = "LoggingReady"
	return rsp
}

// logOutput is a claim sending its logs to one output.
func logOutput(output string) string {
	return tenanttest.ClaimXR("spec: {logging: {outputs: [" + output + "]}}")
}

// refusalCase is a claim (an XR) the platform's input refuses, and the whole response.
type refusalCase struct {
	reason string
	input  string
	xr     string
	want   *fnv1.RunFunctionResponse
}

// run renders the case's XR under its input.
func (tc refusalCase) run(t *testing.T) *fnv1.RunFunctionResponse {
	t.Helper()
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "t"}, Observed: &fnv1.State{Composite: res(t, tc.xr)}}
	if tc.input != "" {
		req.Input = st(t, tc.input)
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
	}
	return rsp
}

// TestRefusals covers every claim the platform's bounds refuse: each gets a Fatal result (nothing
// is applied, nothing deleted) and a VClusterReady condition naming the field and the fix.
func TestRefusals(t *testing.T) {
	for name, tc := range refusalCases() {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.run(t), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

// refusalCases are the refused claims, by name; docs/errors.md must explain each one's message.
func refusalCases() map[string]refusalCase {
	cases := map[string]refusalCase{
		"QuotaEntryNotBounded": {
			reason: "A claim can only change the quota entries the platform bounds.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {resources: {quota: {count/secrets: "500"}}}`),
			want:   refusedRsp(`spec.resources.quota[count/secrets]: this platform does not let claims change the count/secrets quota; entries a claim may change: count/pods, requests.cpu`),
		},
		"QuotaNotOverridable": {
			reason: "Without a maxQuota in the input, no quota entry can be changed.",
			xr:     tenanttest.ClaimXR(`spec: {resources: {quota: {requests.cpu: "1"}}}`),
			want:   refusedRsp(`spec.resources.quota[requests.cpu]: this platform does not let claims change the requests.cpu quota; entries a claim may change: none`),
		},
		"QuotaAboveMax": {
			reason: "A quota entry above the platform's maximum is refused with the maximum.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {resources: {quota: {requests.cpu: "64"}}}`),
			want:   refusedRsp(`spec.resources.quota[requests.cpu]: 64 is above this platform's maximum 16; ask for at most 16`),
		},
		"QuotaBelowPlatformWorkloads": {
			reason: "A claim quota that leaves no room for the platform's own workloads would have the control plane refused.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {resources: {quota: {count/pods: "1"}}}`),
			want: refusedRsp(`spec.resources.quota[count/pods]: the platform's own workloads need count/pods 2 (vcluster/control plane 1 × 1, vcluster/CoreDNS 1 × 1), ` +
				`above the quota of 1; ask for more, or remove the entry to get the size profile's`),
		},
		"LogOutputTypeNotOffered": {
			reason: "An output type the platform does not offer is refused with the offered ones.",
			input:  loggingInput + "  outputTypes: [loki]\n",
			xr:     logOutput(`{name: c, http: {endpoint: "https://collector.logs.example.com"}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].http: this platform does not offer http outputs; choose one of loki`),
		},
		"LogHostNotAllowed": {
			reason: "Logs go only to hosts the platform allows: a look-alike of an allowed domain is not one.",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com.evil.example.org"}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].loki: loki.example.com.evil.example.org is not a host this platform lets logs go to (loki.example.com, *.logs.example.com)`),
		},
		"LogURLWithCredentials": {
			reason: "A URL carrying a password is refused without repeating it.",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://user:secret@loki.example.com"}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].loki: the URL carries credentials (user:password@); a claim is no place for a secret, remove them`),
		},
		"LogBufferAboveMax": {
			reason: "An output's buffer is bounded by the platform.",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com"}, buffer: {totalLimitSize: 8Gi}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].buffer.totalLimitSize: 8Gi must be more than zero and at most this platform's 2Gi`),
		},
		"LogLabelVClusterRewrites": {
			reason: "A label vcluster rewrites on the host cannot select anything (or selects its own markers).",
			input:  loggingInput,
			xr:     tenanttest.ClaimXR(`spec: {logging: {labels: {vcluster.loft.sh/managed-by: other}, outputs: [{name: l, loki: {url: "https://loki.example.com"}}]}}`),
			want:   loggingRefusedRsp(`spec.logging.labels: vcluster.loft.sh/managed-by is a label vcluster rewrites on the host; narrow by namespaces or by another label`),
		},
		"LogExtraLabelNotALokiLabel": {
			reason: "Loki labels are checked so that nothing the claim writes reads as syntax in fluentd's configuration.",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com", extraLabels: {team: "a\"} @include x"}}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].loki.extraLabels: team=a"} @include x is not a Loki label: names are letters, digits and _, values at most 128 letters, digits and _.:/-`),
		},
		"LogOutputNamedTwice": {
			reason: "Each output needs its own name (the Outputs are named after them).",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com"}}, {name: l, http: {endpoint: "https://c.logs.example.com"}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[1].name: "l" names two outputs; give each its own name`),
		},
		"LogOutputTwoTypes": {
			reason: "An output is exactly one type (the XRD says so too).",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com"}, http: {endpoint: "https://c.logs.example.com"}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0]: set exactly one of loki, http, elasticsearch, opensearch, splunkHec, syslog and s3`),
		},
		"LogCredentialsWithoutClaim": {
			reason: "Credentials are read from the claim's namespace; a legacy XR made without a claim has none.",
			input:  loggingInput,
			xr: `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: bare}
spec: {logging: {outputs: [{name: l, loki: {url: "https://loki.example.com", basicAuth: {username: {name: a, key: u}, password: {name: a, key: p}}}}]}}
`,
			want: loggingRefusedRsp(`spec.logging.outputs[0]: credentials are read from the claim's namespace, and this composite resource has none: create it through a claim, or use an output without credentials`),
		},
		"LogElasticsearchUserWithoutPassword": {
			reason: "An Elasticsearch user without a password would send no credentials (the XRD says so too).",
			input:  loggingInput,
			xr:     logOutput(`{name: s, elasticsearch: {host: es.logs.example.com, user: logs}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].elasticsearch: user and password go together: set both, or neither`),
		},
		"LogElasticsearchKeyAndPassword": {
			reason: "An API key and a password are two ways to authenticate; the claim names one.",
			input:  loggingInput,
			xr:     logOutput(`{name: s, elasticsearch: {host: es.logs.example.com, user: logs, password: {name: es, key: p}, apiKey: {name: es, key: k}}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].elasticsearch: use apiKey, or user and password, not both`),
		},
		"LogSecretKeyNotAKey": {
			reason: "A Secret key is checked before it reaches the copier's list.",
			input:  loggingInput,
			xr:     logOutput(`{name: l, loki: {url: "https://loki.example.com", basicAuth: {username: {name: a, key: "u p"}, password: {name: a, key: p}}}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].loki.basicAuth.username.key: "u p" is not a Secret key: letters, digits, '-', '_' and '.', at most 253`),
		},
		"LogS3OnAWSNotAllowed": {
			reason: "An S3 output without an endpoint writes to AWS, which is a host like any other.",
			input:  loggingInput,
			xr:     logOutput(`{name: a, s3: {bucket: logs, region: eu-central-1, accessKeyID: {name: s3, key: id}, secretAccessKey: {name: s3, key: secret}}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].s3: s3.eu-central-1.amazonaws.com is not a host this platform lets logs go to (loki.example.com, *.logs.example.com)`),
		},
		"LogS3PathPlaceholder": {
			reason: "A key prefix is plain: fluentd would expand a placeholder in it (the XRD says so too).",
			input:  loggingInput,
			xr:     logOutput(`{name: a, s3: {bucket: logs, region: r, endpoint: "https://s3.logs.example.com", path: "%{tag}/", accessKeyID: {name: s3, key: id}, secretAccessKey: {name: s3, key: secret}}}`),
			want:   loggingRefusedRsp(`spec.logging.outputs[0].s3.path: "%{tag}/" is not a key prefix: at most 256 letters, digits and _./-`),
		},
		"ContainerLimitAboveProfileMax": {
			reason: "A default container limit above the profile's per-container maximum would make every pod without limits unschedulable.",
			xr:     tenanttest.ClaimXR(`spec: {resources: {containerDefaults: {limits: {cpu: "3"}}}}`),
			want:   refusedRsp(`spec.resources.containerDefaults.limits[cpu]: 3 is above the size profile's per-container maximum 2`),
		},
		"DefaultRequestAboveDefaultLimit": {
			reason: "A default request above the default limit would make the API server refuse the LimitRange and fail the whole release.",
			xr:     tenanttest.ClaimXR(`spec: {resources: {containerDefaults: {requests: {memory: 1Gi}}}}`),
			want:   refusedRsp(`spec.resources.containerDefaults: the default memory request 1Gi is above the default memory limit 512Mi; lower the request or raise the limit`),
		},
		"PublicEgressDenied": {
			reason: "A claim cannot open public egress where the platform denies it.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {isolation: {network: {publicEgress: true}}}`),
			want:   refusedRsp(`spec.isolation.network.publicEgress: this platform does not allow public egress; remove the field or set it to false`),
		},
		"EgressCIDROutsidePlatformRange": {
			reason: "An egress range not inside the platform's ranges is refused, even when it overlaps one.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {isolation: {network: {egressCIDRs: [10.20.1.0/24, 10.0.0.0/8]}}}`),
			want:   refusedRsp(`spec.isolation.network.egressCIDRs[1]: 10.0.0.0/8 is not inside a range this platform allows tenants to reach (10.20.0.0/16)`),
		},
		"EgressCIDRNoneAllowed": {
			reason: "Without egress ranges in the input, a claim cannot open any.",
			xr:     tenanttest.ClaimXR(`spec: {isolation: {network: {egressCIDRs: [192.168.1.0/24]}}}`),
			want:   refusedRsp(`spec.isolation.network.egressCIDRs[0]: 192.168.1.0/24 is not inside a range this platform allows tenants to reach (none)`),
		},
		"ExposureNotOffered": {
			reason: "A way of exposure the platform did not configure is refused with the offered ones.",
			input:  boundedInput,
			xr:     tenanttest.ClaimXR(`spec: {exposure: {type: LoadBalancer}}`),
			want:   refusedRsp(`spec.exposure.type: "LoadBalancer" is not offered on this platform; choose one of None, Ingress`),
		},
		"ExposureNoneUnderExternalEndpoint": {
			reason: "Where Crossplane reaches virtual clusters from outside, a tenant cannot opt out of exposure.",
			input: `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
targets: {tenant: {endpoint: External}}
exposure: {ingress: {domain: tenants.example.com}}
defaults: {exposure: Ingress}
`,
			xr:   tenanttest.ClaimXR(`spec: {exposure: {type: None}}`),
			want: refusedRsp(`spec.exposure.type: this platform reaches virtual clusters through their external address, so None is not possible; choose one of Ingress`),
		},
		"SizeWouldChangeBackingStore": {
			reason: "Moving a single-replica virtual cluster to a highly available size would change its backing store and lose its data.",
			xr:     tenanttest.ClaimXR("spec: {size: large}\nstatus: {vcluster: {backingStore: sqlite}}\n"),
			want:   refusedRsp(`spec.size: size "large" runs 3 control plane replicas on etcd, but this virtual cluster keeps its data in sqlite, which cannot change without losing it; choose a size with one replica`),
		},
		"SizeWouldDropEtcd": {
			reason: "Moving a highly available virtual cluster to a single replica would drop its etcd.",
			xr:     tenanttest.ClaimXR("spec: {size: small}\nstatus: {vcluster: {backingStore: etcd}}\n"),
			want:   refusedRsp(`spec.size: size "small" runs one control plane replica on sqlite, but this virtual cluster keeps its data in etcd, which cannot change without losing it; choose a size with more than one replica`),
		},
		"EmbeddedEtcdNoLongerAllowed": {
			reason: "A virtual cluster on embedded etcd (vCluster Pro) cannot be rendered once the platform withdraws allowPro; it is not the tenant's field, so the reason is CannotCompose.",
			xr:     tenanttest.ClaimXR("spec: {size: large}\nstatus: {vcluster: {backingStore: embedded-etcd}}\n"),
			want: func() *fnv1.RunFunctionResponse {
				msg := "this virtual cluster keeps its data in embedded etcd, a vCluster Pro feature the platform no longer allows (input vcluster.allowPro)"
				r := refusedRsp(msg)
				r.Conditions[0].Reason = "CannotCompose"
				return r
			}(),
		},
		"ExtensionsUsageOnNamespacedXR": {
			reason: "Crossplane 1.x Usages cannot protect a namespaced XR's resources; the platform's input is wrong, not the claim.",
			input: `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
usages: {apiVersion: apiextensions.crossplane.io/v1beta1}
`,
			xr: `
apiVersion: namespaced.platform.tenantcluster.io/v1alpha1
kind: TenantCluster
metadata: {name: dev, namespace: team-a}
spec: {}
`,
			want: &fnv1.RunFunctionResponse{
				Meta:    &fnv1.ResponseMeta{Tag: "t", Ttl: ttl},
				Results: []*fnv1.Result{fatal("input usages.apiVersion apiextensions.crossplane.io/v1beta1 is Crossplane 1.x's, which has no namespaced TenantClusters: use protection.crossplane.io/v1beta1")},
			},
		},
		"PrincipalNeitherUserNorGroup": {
			reason: "Each owner is a user or a group, not both.",
			input:  rancherInput,
			xr:     tenanttest.ClaimXR(`spec: {rancher: {owners: [{user: "local://u-a", group: "local://g-b"}]}}`),
			want:   rancherRefusedRsp(`spec.rancher.owners[0]: set exactly one of user and group`),
		},
		"PrincipalNotAnID": {
			reason: "A principal must be a Rancher principal ID; template syntax and quotes are refused, not passed on.",
			input:  rancherInput,
			xr:     tenanttest.ClaimXR(`spec: {rancher: {members: [{group: "keycloakoidc_group://ok"}, {user: "{{ .Values.admin }}"}]}}`),
			want:   rancherRefusedRsp(`spec.rancher.members[1]: "{{ .Values.admin }}" is not a Rancher principal ID; write it as Rancher shows it, e.g. local://u-abcde or keycloakoidc_group://payments`),
		},
		"ProjectNotOpenToNamespace": {
			reason: "Joining a project is granted by the platform per claim namespace: a project open to another namespace is refused, with the ones open to this one.",
			input:  rancherInput,
			xr:     tenanttest.ClaimXR(`spec: {rancher: {project: {id: "local:p-payments"}}}`),
			want:   rancherRefusedRsp(`spec.rancher.project.id: project "local:p-payments" is not open to this namespace; choose one of local:p-shared`),
		},
		"ProjectOnAnotherCluster": {
			reason: "The project must be on the host cluster: a project of the same name on another cluster is refused.",
			input:  rancherInput,
			xr:     tenanttest.ClaimXR(`spec: {rancher: {project: {id: "c-m-other:p-shared"}}}`),
			want:   rancherRefusedRsp(`spec.rancher.project.id: project "c-m-other:p-shared" is not open to this namespace; choose one of local:p-shared`),
		},
		"NoProjectOpen": {
			reason: "A claim from a namespace with no open project cannot name one.",
			input:  rancherInput,
			xr: `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p, labels: {crossplane.io/claim-name: dev, crossplane.io/claim-namespace: team-b}}
spec: {rancher: {project: {id: "local:p-shared"}}}
`,
			want: rancherRefusedRsp(`spec.rancher.project.id: this platform opens no existing Rancher project to this namespace; remove the field to get the platform's default placement`),
		},
	}
	maps.Copy(cases, monitoringRefusalCases())
	return cases
}
