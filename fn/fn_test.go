package fn

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
)

// A legacy XR as Crossplane creates it for the claim team-a/dev.
const legacyXR = `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata:
  name: dev-x7k2p
  labels:
    crossplane.io/claim-name: dev
    crossplane.io/claim-namespace: team-a
spec: {}
`

const devLabels = `
    app.kubernetes.io/managed-by: function-tenantcluster
    tenantcluster.io/claim-namespace: team-a
    tenantcluster.io/tenant: team-a-dev-c553f163`

const wantNamespaceObject = `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata:
  name: team-a-dev-c553f163-namespace
  labels:` + devLabels + `
spec:
  providerConfigRef: {name: default}
  readiness:
    policy: DeriveFromCelQuery
    celQuery: object.status.phase == 'Active'
  forProvider:
    manifest:
      apiVersion: v1
      kind: Namespace
      metadata:
        name: tenant-team-a-dev-c553f163
        annotations: {tenantcluster.io/claim-name: dev}
        labels:
          app.kubernetes.io/managed-by: function-tenantcluster
          tenantcluster.io/claim-namespace: team-a
          tenantcluster.io/tenant: team-a-dev-c553f163
          pod-security.kubernetes.io/enforce: restricted
          pod-security.kubernetes.io/enforce-version: latest
          pod-security.kubernetes.io/audit: restricted
          pod-security.kubernetes.io/warn: restricted
`

// namespaced turns an expected legacy managed resource into its Crossplane v2 namespaced form:
// the namespaced API version, the XR's namespace, and a ClusterProviderConfig reference.
func namespaced(doc, legacyAPIVersion, namespacedAPIVersion string) string {
	doc = strings.Replace(doc, "apiVersion: "+legacyAPIVersion, "apiVersion: "+namespacedAPIVersion, 1)
	doc = strings.Replace(doc, "\nmetadata:\n", "\nmetadata:\n  namespace: team-a\n", 1)
	return strings.Replace(doc, "providerConfigRef: {name: default}", "providerConfigRef: {kind: ClusterProviderConfig, name: default}", 1)
}

func observedNamespace(phase string) string {
	ready := "False"
	if phase == "Active" {
		ready = "True"
	}
	return wantNamespaceObject + `
status:
  conditions:
  - {type: Ready, status: "` + ready + `", reason: Available}
  atProvider:
    manifest:
      status: {phase: ` + phase + `}
`
}

// releaseManifest is the observed Release: its Ready condition, its Synced condition (with the
// provider's message when false) and Helm's state.
func releaseManifest(state, ready, syncedMessage, description string, revision int) string {
	synced := `{type: Synced, status: "True", reason: ReconcileSuccess}`
	if syncedMessage != "" {
		synced = `{type: Synced, status: "False", reason: ReconcileError, message: "` + syncedMessage + `"}`
	}
	return wantRelease + `
status:
  conditions:
  - {type: Ready, status: "` + ready + `", reason: Available}
  - ` + synced + `
  atProvider:
    state: ` + state + `
    releaseDescription: "` + description + `"
    revision: ` + strconv.Itoa(revision) + `
`
}

// observedReady is an observed resource with condition Ready=True.
func observedReady(doc string) string {
	return doc + "status: {conditions: [{type: Ready, status: \"True\", reason: Available}]}\n"
}

var ttl = durationpb.New(response.DefaultTTL)

// devResources are the desired resources of the claim team-a/dev under the default Input.
// The tenant ProviderConfigs are ready with the Release (the Release reads the kubeconfig).
func devResources(t *testing.T, namespaceReady, releaseReady, usagesReady bool) map[string]*fnv1.Resource {
	t.Helper()
	return map[string]*fnv1.Resource{
		"namespace":         readyRes(t, wantNamespaceObject, namespaceReady),
		"vcluster":          readyRes(t, wantRelease, releaseReady),
		"tenant-k8s":        readyRes(t, wantProviderConfig("kubernetes.crossplane.io/v1alpha1"), releaseReady),
		"tenant-helm":       readyRes(t, wantProviderConfig("helm.crossplane.io/v1beta1"), releaseReady),
		"usage-vcluster":    readyRes(t, wantUsageVCluster, usagesReady),
		"usage-tenant-k8s":  readyRes(t, wantUsageTenantK8s, usagesReady),
		"usage-tenant-helm": readyRes(t, wantUsageTenantHelm, usagesReady),
	}
}

// deployedObserved is everything of the claim team-a/dev observed ready.
func deployedObserved(t *testing.T, release string) map[string]*fnv1.Resource {
	t.Helper()
	return map[string]*fnv1.Resource{
		"namespace":         res(t, observedNamespace("Active")),
		"vcluster":          res(t, release),
		"usage-vcluster":    res(t, observedReady(wantUsageVCluster)),
		"usage-tenant-k8s":  res(t, observedReady(wantUsageTenantK8s)),
		"usage-tenant-helm": res(t, observedReady(wantUsageTenantHelm)),
	}
}

// composedRsp is the response that composes the tenant: the XR's status, the desired resources
// and the VClusterReady condition.
func composedRsp(composite *fnv1.Resource, resources map[string]*fnv1.Resource, vclusterReady *fnv1.Condition) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:       &fnv1.ResponseMeta{Tag: "t", Ttl: ttl},
		Desired:    &fnv1.State{Composite: composite, Resources: resources},
		Conditions: []*fnv1.Condition{vclusterReady},
	}
}

// kubeconfigPendingRsp is the response for the claim team-a/dev deployed but without its
// kubeconfig: everything stays, nothing is ready that reads the kubeconfig.
func kubeconfigPendingRsp(t *testing.T) *fnv1.RunFunctionResponse {
	t.Helper()
	return composedRsp(
		res(t, xrStatus("Provisioning", 1, false)),
		devResources(t, true, false, true),
		condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "KubeconfigPending",
			"the vcluster is deployed; waiting for it to export its kubeconfig to Secret vc-dev-internal in namespace tenant-team-a-dev-c553f163"),
	)
}

// refusedRsp is the response to a claim the function refuses: a Fatal result (nothing applied,
// nothing deleted) and a condition on the claim with the same message.
func refusedRsp(message string) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:       &fnv1.ResponseMeta{Tag: "t", Ttl: ttl},
		Results:    []*fnv1.Result{fatal(message)},
		Conditions: []*fnv1.Condition{condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "InvalidSpec", message)},
	}
}

func TestRunFunction(t *testing.T) {
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   want
	}{
		"NewLegacyTenant": {
			reason: "A new claim with an empty spec gets the host Namespace, the vcluster Release, the tenant ProviderConfigs and the Usages that order their deletion, with the platform's defaults, none ready yet.",
			req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, legacyXR)},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 0, false)),
				devResources(t, false, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending", "the vcluster release is being created"),
			)},
		},
		"NewNamespacedTenant": {
			reason: "A Crossplane v2 namespaced XR composes the namespaced provider kinds in its own namespace, referring to ClusterProviderConfigs; its Release writes the kubeconfig into the tenant's namespace, its tenant ProviderConfigs and Usages are namespaced too.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, `
apiVersion: namespaced.platform.tenantcluster.io/v1alpha1
kind: TenantCluster
metadata: {name: dev, namespace: team-a}
spec: {}
`)},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 0, false)+"  kubeconfigSecretRef: {name: dev-kubeconfig, namespace: team-a}\n"),
				namespacedDevResources(t),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending", "the vcluster release is being created"),
			)},
		},
		"DeployedTenant": {
			reason: "Once the Namespace is active, the Release deployed and ready (so its kubeconfig was read) and the Usages in effect, everything is ready, VClusterReady is true, the tenant target is ready and the Helm revision is reported.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: deployedObserved(t, releaseManifest("deployed", "True", "", "Install complete", 1)),
				},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Ready", 1, true)),
				devResources(t, true, true, true),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_TRUE, "Available", "the vcluster is deployed and its kubeconfig is exported"),
			)},
		},
		"KubeconfigConnectionDetails": {
			reason: "A legacy XR passes the tenant's kubeconfig from the Release's connection details to its own (the claim's connection secret), and only that key.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: func() map[string]*fnv1.Resource {
						r := deployedObserved(t, releaseManifest("deployed", "True", "", "Install complete", 1))
						r["vcluster"].ConnectionDetails = map[string][]byte{"kubeconfig": []byte("apiVersion: v1\nkind: Config\n"), "other": []byte("x")}
						return r
					}(),
				},
			},
			want: want{rsp: composedRsp(
				func() *fnv1.Resource {
					r := res(t, xrStatus("Ready", 1, true))
					r.ConnectionDetails = map[string][]byte{"kubeconfig": []byte("apiVersion: v1\nkind: Config\n")}
					return r
				}(),
				devResources(t, true, true, true),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_TRUE, "Available", "the vcluster is deployed and its kubeconfig is exported"),
			)},
		},
		"KubeconfigPending": {
			reason: "A deployed Release whose kubeconfig Secret the syncer has not written yet (provider-helm cannot read its connection details) says so, and the tenant target is not ready.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: deployedObserved(t, releaseManifest("deployed", "False",
						`cannot get connection details: cannot get object: secrets \"vc-dev-internal\" not found`, "Install complete", 1)),
				},
			},
			want: want{rsp: kubeconfigPendingRsp(t)},
		},
		"KubeconfigLost": {
			reason: "A kubeconfig Secret that disappears after the Release was ready leaves Ready=True from before but fails the sync: the vcluster is not available.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: deployedObserved(t, releaseManifest("deployed", "True",
						`cannot get connection details: cannot get object: secrets \"vc-dev-internal\" not found`, "Install complete", 1)),
				},
			},
			want: want{rsp: kubeconfigPendingRsp(t)},
		},
		"DeployedButNotUpToDate": {
			reason: "A Release in state deployed whose Ready condition is not true (the provider has not compared it with the new spec yet) is not ready.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: map[string]*fnv1.Resource{
						"vcluster": res(t, releaseManifest("deployed", "False", "", "Upgrade complete", 2)),
					},
				},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 2, false)),
				devResources(t, false, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending",
					"the vcluster release is not deployed yet (Helm state deployed): Upgrade complete"),
			)},
		},
		"FailedRelease": {
			reason: "A failed Release turns VClusterReady false with Helm's message and the phase Failed; nothing is removed from the desired state.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: map[string]*fnv1.Resource{
						"namespace": res(t, observedNamespace("Active")),
						"vcluster":  res(t, releaseManifest("failed", "False", "", "values don't meet the specifications of the schema", 3)),
					},
				},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Failed", 3, false)),
				devResources(t, true, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleaseFailed",
					"the vcluster release failed: values don't meet the specifications of the schema; provider-helm rolls it back and tries again (0 of 3 rollbacks so far)"),
			)},
		},
		"FailedReleaseAtRollbackLimit": {
			reason: "Once provider-helm has rolled a failed Release back as often as the input allows, the condition says it waits for a change and where recovery is explained.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: map[string]*fnv1.Resource{
						"namespace": res(t, observedNamespace("Active")),
						"vcluster":  res(t, releaseManifest("failed", "False", "", "values don't meet the specifications of the schema", 3)+"  failed: 3\n"),
					},
				},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Failed", 3, false)),
				devResources(t, true, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleaseFailed",
					"the vcluster release failed: values don't meet the specifications of the schema; provider-helm rolled it back 3 times, its limit (input vcluster.rollbackLimit), and retries only after a change: docs/operating.md says how to recover"),
			)},
		},
		"PendingUpgrade": {
			reason: "A release left pending (an interrupted upgrade) is retried by provider-helm; the condition says so.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{
					Composite: res(t, legacyXR),
					Resources: map[string]*fnv1.Resource{
						"namespace": res(t, observedNamespace("Active")),
						"vcluster":  res(t, releaseManifest("pending-upgrade", "False", "", "Preparing upgrade", 4)+"  failed: 1\n"),
					},
				},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 4, false)),
				devResources(t, true, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending",
					"the vcluster release is not deployed yet (Helm state pending-upgrade): Preparing upgrade; provider-helm rolls it back and tries again (1 of 3 rollbacks so far)"),
			)},
		},
		"KeepsKnownRevision": {
			reason: "While the Release is not observed (e.g. the first run after an upgrade of the function), the Helm revision already in the XR's status is kept, not reset.",
			req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, legacyXR+"status: {vcluster: {revision: 4}}\n")},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 4, false)),
				devResources(t, false, false, false),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending", "the vcluster release is being created"),
			)},
		},
		"KeepsEarlierDesiredResources": {
			reason: "Resources an earlier pipeline step put in the desired state are kept.",
			req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, legacyXR)},
				Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{
					"extra": res(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: extra}}`),
				}},
			},
			want: want{rsp: composedRsp(
				res(t, xrStatus("Provisioning", 0, false)),
				func() map[string]*fnv1.Resource {
					r := devResources(t, false, false, false)
					r["extra"] = res(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: extra}}`)
					return r
				}(),
				condition("VClusterReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleasePending", "the vcluster release is being created"),
			)},
		},
		"PodSecurityBelowFloor": {
			reason: "A claim asking for privileged under the default baseline floor gets a Fatal result and a condition naming the field; nothing is composed.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p, labels: {crossplane.io/claim-name: dev, crossplane.io/claim-namespace: team-a}}
spec: {isolation: {podSecurity: privileged}}
`)},
			},
			want: want{rsp: refusedRsp(`spec.isolation.podSecurity: "privileged" is below this platform's floor "baseline"; ask for "baseline" or stricter`)},
		},
		"UnknownSize": {
			reason: "A size the platform does not offer is refused with the list of offered sizes.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p}
spec: {size: huge}
`)},
			},
			want: want{rsp: refusedRsp(`spec.size: size "huge" is not offered on this platform; choose one of large, medium, small`)},
		},
		"UnofferedKubernetesVersion": {
			reason: "A Kubernetes version the platform does not offer is refused with the offered versions.",
			req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"},
				Observed: &fnv1.State{Composite: res(t, `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p}
spec: {kubernetesVersion: "1.30"}
`)},
			},
			want: want{rsp: refusedRsp(`spec.kubernetesVersion: Kubernetes "1.30" is not offered on this platform; choose one of 1.36`)},
		},
		"ChartVersionWithV": {
			reason: "An input pinning the chart version with a leading v (which made provider-helm upgrade on every poll) is refused.",
			req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "t"},
				Input:    st(t, `{apiVersion: tenantcluster.fn.crossplane.io/v1beta1, kind: Input, vcluster: {chart: {version: v0.36.1}}}`),
				Observed: &fnv1.State{Composite: res(t, legacyXR)},
			},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Tag: "t", Ttl: ttl},
				Results: []*fnv1.Result{
					fatal(`invalid function input in the Composition: input vcluster.chart.version "v0.36.1" must not start with "v": write the exact chart version, e.g. "0.36.1"`),
				},
			}},
		},
		"UnknownInputField": {
			reason: "An input with a field the function does not know is refused rather than silently ignored, with the same message every time.",
			req: &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: "t"},
				Input:    st(t, `{apiVersion: tenantcluster.fn.crossplane.io/v1beta1, kind: Input, vclusterr: {}}`),
				Observed: &fnv1.State{Composite: res(t, legacyXR)},
			},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Tag: "t", Ttl: ttl},
				Results: []*fnv1.Result{
					fatal(`cannot read the function input (check the Composition's pipeline step): json: unknown field "vclusterr"`),
				},
			}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := NewFunction(logging.NewNopLogger())
			rsp, err := f.RunFunction(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}
