package fn

import (
	"context"
	"fmt"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"

	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestRancherObjects compares whole composed resources of the Rancher layer for the claim
// team-a/dev once Rancher has created its cluster and project and the virtual cluster is
// deployed: what lands on Rancher's cluster, the registrar on the Crossplane cluster with its
// rights on both, and the Usage that orders deregistration.
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
		Observed: &fnv1.State{Composite: res(t, xr), Resources: readObserved(t, "deployed,rancher/1-cluster")},
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
		"registrar-sa": {
			reason: "The registrar's own identity, on the Crossplane cluster beside the tenant's kubeconfig.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar-sa, labels: ` + labels + `}
spec:
  providerConfigRef: {name: default}
  forProvider:
    manifest:
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: team-a-dev-c553f163-rancher-registrar, namespace: crossplane-system, labels: ` + labels + `}
`,
		},
		"registrar-kubeconfig-role": {
			reason: "On the Crossplane cluster the registrar may read this tenant's kubeconfig Secret and nothing else.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar-kubeconfig-role, labels: ` + labels + `}
spec:
  providerConfigRef: {name: default}
  forProvider:
    manifest:
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: team-a-dev-c553f163-rancher-registrar, namespace: crossplane-system, labels: ` + labels + `}
      rules:
      - {apiGroups: [""], resources: [secrets], resourceNames: [team-a-dev-c553f163-kubeconfig], verbs: [get]}
`,
		},
		"registrar-kubeconfig-binding": {
			reason: "That Role is the registrar's.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar-kubeconfig-binding, labels: ` + labels + `}
spec:
  providerConfigRef: {name: default}
  forProvider:
    manifest:
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: team-a-dev-c553f163-rancher-registrar, namespace: crossplane-system, labels: ` + labels + `}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: team-a-dev-c553f163-rancher-registrar}
      subjects: [{kind: ServiceAccount, name: team-a-dev-c553f163-rancher-registrar, namespace: crossplane-system}]
`,
		},
		"registrar-token-role": {
			reason: "On Rancher's cluster, in the cluster's own namespace, the registrar may read the registration token (either shape) and nothing else.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar-token-role, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  forProvider:
    manifest:
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: tenantcluster-registrar, namespace: c-m-8x2kq7vd, labels: ` + labels + `}
      rules:
      - {apiGroups: [management.cattle.io], resources: [clusterregistrationtokens], resourceNames: [default-token], verbs: [get]}
      - {apiGroups: [""], resources: [secrets], resourceNames: [crt-token-default-token], verbs: [get]}
`,
		},
		"registrar-token-binding": {
			reason: "With Crossplane on Rancher's cluster, the registrar reads as its own ServiceAccount.",
			want: `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar-token-binding, labels: ` + labels + `}
spec:
  providerConfigRef: {name: rancher}
  forProvider:
    manifest:
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: tenantcluster-registrar, namespace: c-m-8x2kq7vd, labels: ` + labels + `}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tenantcluster-registrar}
      subjects: [{kind: ServiceAccount, name: team-a-dev-c553f163-rancher-registrar, namespace: crossplane-system}]
`,
		},
		"usage-rancher-cluster": {
			reason: "Rancher deregisters the cluster, through its agent, before the virtual cluster goes.",
			want: `
apiVersion: protection.crossplane.io/v1beta1
kind: ClusterUsage
metadata: {name: team-a-dev-c553f163-usage-rancher-cluster, labels: ` + labels + `}
spec:
  replayDeletion: true
  of: {apiVersion: helm.crossplane.io/v1beta1, kind: Release, resourceRef: {name: team-a-dev-c553f163-vcluster}}
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
		Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR(`spec: {}
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
	if _, ok := ns["annotations"].(map[string]any)[tenant.AnnotationRancherProject]; ok {
		t.Error("the host namespace stays in the project after registration is turned off")
	}
	for _, c := range rsp.GetConditions() {
		if c.GetType() == "RancherRegistered" {
			t.Errorf("a platform without registration reports RancherRegistered: %v", c)
		}
	}
}

// TestRegistrarWithPlatformReader: with Crossplane elsewhere than Rancher's cluster, the
// registrar reads the token as the platform's reader (a kubeconfig Secret in the platform's
// namespace), which the function binds to this tenant's token only; the whole Job, which holds
// names and addresses and no credential.
func TestRegistrarWithPlatformReader(t *testing.T) {
	input := `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
targets: {rancher: {kubernetesProviderConfig: rancher}, crossplane: {kubernetesProviderConfig: crossplane}}
rancher:
  enabled: true
  url: https://rancher.example.com
  agent: {installerImage: "docker.io/alpine/k8s:1.34.2"}
  registrar:
    rancherKubeconfigSecret: rancher-registrar
    rancherSubject: {kind: User, name: u-registrar}
`
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    st(t, input),
		Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR("spec: {}")), Resources: readObserved(t, "deployed,rancher/1-cluster")},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res := rsp.GetDesired().GetResources()
	binding := manifestOf(res[string("registrar-token-binding")].GetResource().AsMap())
	if diff := cmp.Diff(fromYAML(t, `[{kind: User, name: u-registrar, apiGroup: rbac.authorization.k8s.io}]`), binding["subjects"]); diff != "" {
		t.Errorf("token RoleBinding subjects: -want, +got:\n%s", diff)
	}
	job := res[string(rancher.ResourceRegistrarJob)].GetResource().AsMap()
	name := manifestOf(job)["metadata"].(map[string]any)["name"].(string)
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/claim-namespace: team-a, tenantcluster.io/tenant: team-a-dev-c553f163}`
	want := `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-registrar, labels: ` + labels + `}
spec:
  providerConfigRef: {name: crossplane}
  forProvider:
    manifest:
      apiVersion: batch/v1
      kind: Job
      metadata: {name: ` + name + `, namespace: crossplane-system, labels: ` + labels + `}
      spec:
        backoffLimit: 4
        ttlSecondsAfterFinished: 3600
        template:
          metadata: {labels: ` + labels + `}
          spec:
            serviceAccountName: team-a-dev-c553f163-rancher-registrar
            restartPolicy: Never
            securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
            containers:
            - name: register
              image: docker.io/alpine/k8s:1.34.2
              command: [sh, -c, ` + fmt.Sprintf("%q", rancher.RegistrarScript) + `]
              env:
              - {name: HOME, value: /tmp}
              - {name: RANCHER_URL, value: https://rancher.example.com}
              - {name: CLUSTER_ID, value: c-m-8x2kq7vd}
              - {name: KUBECONFIG_NAMESPACE, value: crossplane-system}
              - {name: KUBECONFIG_SECRET, value: team-a-dev-c553f163-kubeconfig}
              - {name: KUBECONFIG_KEY, value: kubeconfig}
              - {name: RANCHER_KUBECONFIG, value: /etc/tenantcluster/rancher/kubeconfig}
              volumeMounts:
              - {name: tmp, mountPath: /tmp}
              - {name: rancher, mountPath: /etc/tenantcluster/rancher, readOnly: true}
              resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
            volumes:
            - {name: tmp, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
            - {name: rancher, secret: {secretName: rancher-registrar, items: [{key: kubeconfig, path: kubeconfig}]}}
`
	if diff := cmp.Diff(st(t, want).AsMap(), job); diff != "" {
		t.Errorf("registrar Job: -want, +got:\n%s", diff)
	}
}

// TestUpgradeLetsGoOfRancherNamespaces: a tenant registered by an earlier version has Objects of
// Rancher's namespaces inside its virtual cluster. Dropping them would delete the namespaces,
// and the running agent with them; instead the first run makes them Observe-only and the next,
// seeing that applied, drops them, so that their deletion leaves the namespaces.
func TestUpgradeLetsGoOfRancherNamespaces(t *testing.T) {
	oldObject := func(name, ns, policies string) *fnv1.Resource {
		return res(t, `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-`+name+`, annotations: {crossplane.io/composition-resource-name: `+name+`}}
spec:`+policies+`
  providerConfigRef: {name: team-a-dev-c553f163-tenant}
  forProvider: {manifest: {apiVersion: v1, kind: Namespace, metadata: {name: `+ns+`, labels: {pod-security.kubernetes.io/enforce: baseline}}}}
status:
  atProvider: {manifest: {apiVersion: v1, kind: Namespace, metadata: {name: `+ns+`}}}
`)
	}
	request := func(policies string) *fnv1.RunFunctionRequest {
		observed := readObserved(t, "deployed,rancher/1-cluster")
		observed["agent-ns"] = oldObject("agent-ns", "cattle-system", policies)
		observed["agent-fleet-ns"] = oldObject("agent-fleet-ns", "cattle-fleet-system", policies)
		return &fnv1.RunFunctionRequest{
			Meta:     &fnv1.RequestMeta{Tag: "t"},
			Input:    st(t, "{apiVersion: tenantcluster.fn.crossplane.io/v1beta1, kind: Input, rancher: {enabled: true, url: https://rancher.example.com}}"),
			Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR("spec: {}")), Resources: observed},
		}
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), request(""))
	if err != nil {
		t.Fatal(err)
	}
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/claim-namespace: team-a, tenantcluster.io/tenant: team-a-dev-c553f163}`
	for name, ns := range map[string]string{"agent-ns": "cattle-system", "agent-fleet-ns": "cattle-fleet-system"} {
		want := `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-` + name + `, labels: ` + labels + `}
spec:
  managementPolicies: [Observe]
  providerConfigRef: {name: team-a-dev-c553f163-tenant}
  forProvider: {manifest: {apiVersion: v1, kind: Namespace, metadata: {name: ` + ns + `}}}
`
		got := rsp.GetDesired().GetResources()[name]
		if got == nil {
			t.Fatalf("the first run after the upgrade dropped %s, which would delete %s and Rancher's agent", name, ns)
		}
		if diff := cmp.Diff(st(t, want).AsMap(), got.GetResource().AsMap()); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", name, diff)
		}
	}
	rsp, err = NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), request("\n  managementPolicies: [Observe]"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"agent-ns", "agent-fleet-ns"} {
		if rsp.GetDesired().GetResources()[name] != nil {
			t.Errorf("%s is still composed once it is Observe-only", name)
		}
	}
}
