package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
)

// TestRancherObjects compares whole composed resources of the Rancher layer for the claim
// team-a/dev once Rancher has created its cluster and project and its token is there: what
// lands on Rancher's cluster, what lands in the virtual cluster, and the Usage that orders
// deregistration.
func TestRancherObjects(t *testing.T) {
	input := `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
targets: {rancher: {kubernetesProviderConfig: rancher}}
rancher:
  enabled: true
  url: https://rancher.example.com/
  fleetWorkspace: tenants
  agent:
    envVars: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]
    clusterAgent:
      overrideResourceRequirements: {requests: {cpu: 100m}}
      appendTolerations: [{key: dedicated, operator: Equal, value: tenants, effect: NoSchedule}]
  roles: {clusterOwner: tenant-owner}
  projects: {hostClusterId: local, create: true}
`
	xr := `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p, uid: 5f0c6f1e-2b1d-4c1e-9d7a-0a1b2c3d4e5f, labels: {crossplane.io/claim-name: dev, crossplane.io/claim-namespace: team-a}}
spec: {rancher: {owners: [{group: "keycloakoidc_group://team-a"}], members: [{user: "local://u-b4qkhsnliz"}]}}
`
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    st(t, input),
		Observed: &fnv1.State{Composite: res(t, xr), Resources: readObserved(t, "rancher/1-cluster,rancher/2-token")},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/claim-namespace: team-a, tenantcluster.io/tenant: team-a-dev-c553f163}`
	cases := map[string]struct {
		reason string
		want   string
	}{
		"rancher-cluster": {
			reason: "The provisioning Cluster: imported (no rkeConfig), in the input's fleet workspace, with the platform's agent settings and the XR's UID.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-rancher-cluster, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  readiness: {policy: DeriveFromCelQuery, celQuery: "has(object.status) && has(object.status.clusterName) && object.status.clusterName != ''"}
  forProvider:
    manifest:
      apiVersion: provisioning.cattle.io/v1
      kind: Cluster
      metadata:
        name: team-a-dev-c553f163
        namespace: tenants
        annotations: {tenantcluster.io/claim-name: dev}
        labels: {app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/claim-namespace: team-a, tenantcluster.io/tenant: team-a-dev-c553f163,
          tenantcluster.io/tenant-uid: 5f0c6f1e-2b1d-4c1e-9d7a-0a1b2c3d4e5f}
      spec:
        agentEnvVars: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]
        clusterAgentDeploymentCustomization:
          overrideResourceRequirements: {requests: {cpu: 100m}}
          appendTolerations: [{key: dedicated, operator: Equal, value: tenants, effect: NoSchedule}]
`,
		},
		"rancher-mgmt": {
			reason: "The management cluster is only observed, never changed.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-rancher-mgmt, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  managementPolicies: [Observe]
  forProvider:
    manifest: {apiVersion: management.cattle.io/v3, kind: Cluster, metadata: {name: c-m-8x2kq7vd}}
`,
		},
		"crtb-8960ecac": {
			reason: "An owner's binding on the cluster, with the input's role template, named after role and principal.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-crtb-8960ecac, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  forProvider:
    manifest:
      apiVersion: management.cattle.io/v3
      kind: ClusterRoleTemplateBinding
      metadata: {name: tc-8960ecac, namespace: c-m-8x2kq7vd, labels: ` + labels + `}
      clusterName: c-m-8x2kq7vd
      roleTemplateName: tenant-owner
      groupPrincipalName: keycloakoidc_group://team-a
`,
		},
		"prtb-501ffff8": {
			reason: "A member's binding on the project created for the tenant, in the project's backing namespace.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-prtb-501ffff8, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  forProvider:
    manifest:
      apiVersion: management.cattle.io/v3
      kind: ProjectRoleTemplateBinding
      metadata: {name: tc-501ffff8, namespace: local-p-4465005f, labels: ` + labels + `}
      projectName: local:p-4435e249
      roleTemplateName: project-member
      userPrincipalName: local://u-b4qkhsnliz
`,
		},
		"agent-ns": {
			reason: "Rancher's namespace inside the virtual cluster admits the agent (baseline), through the tenant ProviderConfig.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-agent-ns, labels: ` + labels + `}
spec:
  providerConfigRef: {name: team-a-dev-c553f163-tenant}
  forProvider:
    manifest:
      apiVersion: v1
      kind: Namespace
      metadata:
        name: cattle-system
        labels: {app.kubernetes.io/managed-by: function-tenantcluster, pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: latest}
`,
		},
		"usage-rancher-cluster": {
			reason: "Rancher deregisters the cluster before its agent's namespace goes.",
			want: `
apiVersion: protection.crossplane.io/v1beta1
kind: ClusterUsage
metadata: {name: team-a-dev-c553f163-usage-rancher-cluster, labels: ` + labels + `}
spec:
  replayDeletion: true
  of: {apiVersion: kubernetes.crossplane.io/v1alpha2, kind: Object, resourceRef: {name: team-a-dev-c553f163-agent-ns}}
  by: {apiVersion: kubernetes.crossplane.io/v1alpha2, kind: Object, resourceRef: {name: team-a-dev-c553f163-rancher-cluster}}
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := rsp.GetDesired().GetResources()[name]
			if got == nil {
				t.Fatalf("%s\n%s is not composed; composed: %v", tc.reason, name, resourceNames(rsp))
			}
			if diff := cmp.Diff(st(t, tc.want).AsMap(), got.GetResource().AsMap()); diff != "" {
				t.Errorf("%s\n%s: -want, +got:\n%s", tc.reason, name, diff)
			}
		})
	}
}

// TestCreatedProjectOutlivesRegistration: when the platform turns registration off, a tenant
// whose host namespace was in a project created for it keeps that project (Rancher would delete
// the namespaces of a deleted project), kept from the XR status even with nothing observed, while
// the namespace leaves it and everything else of the registration goes.
func TestCreatedProjectOutlivesRegistration(t *testing.T) {
	req := &fnv1.RunFunctionRequest{
		Meta: &fnv1.RequestMeta{Tag: "t"},
		Observed: &fnv1.State{Composite: res(t, claimXR(`spec: {}
status: {rancher: {clusterId: c-m-8x2kq7vd, createdProjectId: "local:p-4435e249", createdProjectNamespace: local-p-4435e249}}`))},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"namespace", "rancher-project", "tenant-helm", "tenant-k8s", "usage-namespace", "usage-tenant-helm", "usage-tenant-k8s", "usage-vcluster", "vcluster"}
	if diff := cmp.Diff(want, resourceNames(rsp)); diff != "" {
		t.Errorf("composed resources: -want, +got:\n%s", diff)
	}
	status, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"createdProjectId": "local:p-4435e249", "createdProjectNamespace": "local-p-4435e249"}, status["rancher"]); diff != "" {
		t.Errorf("status.rancher: -want, +got:\n%s", diff)
	}
	ns := manifestOf(rsp.GetDesired().GetResources()["namespace"].GetResource().AsMap())["metadata"].(map[string]any)
	if _, ok := ns["annotations"].(map[string]any)[annotationRancherProject]; ok {
		t.Error("the host namespace stays in the project after registration is turned off")
	}
	for _, c := range rsp.GetConditions() {
		if c.GetType() == "RancherRegistered" {
			t.Errorf("a platform without registration reports RancherRegistered: %v", c)
		}
	}
}
