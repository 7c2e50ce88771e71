package fn

import (
	"regexp"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
)

// copierObjects are the copier's composed Objects of a response, by pipeline name: the manifest
// and the ProviderConfig it is applied through (which cluster).
func copierObjects(rsp *fnv1.RunFunctionResponse) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, r := range rsp.GetDesired().GetResources() {
		if !strings.HasPrefix(name, "logging-copier") {
			continue
		}
		obj := r.GetResource().AsMap()
		m, _, _ := unstructured.NestedMap(obj, "spec", "forProvider", "manifest")
		pc, _, _ := unstructured.NestedString(obj, "spec", "providerConfigRef", "name")
		out[name] = map[string]any{"providerConfig": pc, "manifest": m}
	}
	return out
}

// TestLoggingCredentialsCopier renders loggingClaim, whose Loki and Elasticsearch outputs name
// three keys of two Secrets in the claim's namespace, and checks the whole copier: a
// ServiceAccount of the platform's; in the claim's namespace, get on exactly those two Secrets;
// in the host namespace, the writing of the one credentials Secret and get on the Role that owns
// it; and the Job that copies the three keys, under the names the Outputs read
// (TestLoggingObjects). Nothing composed holds a value.
func TestLoggingCredentialsCopier(t *testing.T) {
	got := copierObjects(loggingRsp(t, loggingInput, loggingClaim, nil))
	job := got["logging-copier"]["manifest"].(map[string]any)
	jobName := job["metadata"].(map[string]any)["name"].(string)
	if !regexp.MustCompile(`^team-a-dev-c553f163-log-credentials-[0-9a-f]{8}$`).MatchString(jobName) {
		t.Errorf("Job name %q: want the tenant, log-credentials and a hash of the spec", jobName)
	}
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a}`
	want := map[string]string{
		"logging-copier-sa": `
providerConfig: default
manifest: {apiVersion: v1, kind: ServiceAccount, metadata: {name: team-a-dev-c553f163-log-credentials, namespace: crossplane-system, labels: ` + labels + `}}`,
		"logging-copier-reader-role": `
providerConfig: default
manifest:
  apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: tenantcluster-log-credentials-team-a-dev-c553f163, namespace: team-a, labels: ` + labels + `}
  rules: [{apiGroups: [""], resources: [secrets], resourceNames: [es, loki-auth], verbs: [get]}]`,
		"logging-copier-reader-binding": `
providerConfig: default
manifest:
  apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: tenantcluster-log-credentials-team-a-dev-c553f163, namespace: team-a, labels: ` + labels + `}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tenantcluster-log-credentials-team-a-dev-c553f163}
  subjects: [{kind: ServiceAccount, name: team-a-dev-c553f163-log-credentials, namespace: crossplane-system}]`,
		"logging-copier-writer-role": `
providerConfig: default
manifest:
  apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: tenant-log-credentials-writer, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
  rules:
  - {apiGroups: [""], resources: [secrets], verbs: [create]}
  - {apiGroups: [""], resources: [secrets], resourceNames: [tenant-log-credentials], verbs: [get, patch, update]}
  - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], resourceNames: [tenant-log-credentials-writer], verbs: [get]}`,
		"logging-copier-writer-binding": `
providerConfig: default
manifest:
  apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: tenant-log-credentials-writer, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tenant-log-credentials-writer}
  subjects: [{kind: ServiceAccount, name: team-a-dev-c553f163-log-credentials, namespace: crossplane-system}]`,
		"logging-copier": `
providerConfig: default
manifest:
  apiVersion: batch/v1
  kind: Job
  metadata: {name: ` + jobName + `, namespace: crossplane-system, labels: ` + labels + `}
  spec:
    backoffLimit: 4
    ttlSecondsAfterFinished: 900
    template:
      metadata: {labels: ` + labels + `}
      spec:
        serviceAccountName: team-a-dev-c553f163-log-credentials
        restartPolicy: Never
        securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
        containers:
        - name: copy
          image: docker.io/alpine/k8s:1.34.2
          command: [sh, -c, SCRIPT]
          env:
          - {name: HOME, value: /tmp}
          - {name: CLAIM_NAMESPACE, value: team-a}
          - {name: HOST_NAMESPACE, value: tenant-team-a-dev-c553f163}
          - {name: SECRET, value: tenant-log-credentials}
          - {name: SECRET_LABELS, value: '{"app.kubernetes.io/managed-by":"function-tenantcluster","tenantcluster.io/claim-namespace":"team-a","tenantcluster.io/tenant":"team-a-dev-c553f163"}'}
          - {name: OWNER_ROLE, value: tenant-log-credentials-writer}
          - {name: FIELD_MANAGER, value: tenantcluster-log-credentials}
          - name: COPIES
            value: "es api-key es_api-key\nloki-auth password loki-auth_password\nloki-auth user loki-auth_user"
          volumeMounts: [{name: tmp, mountPath: /tmp}]
          resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        volumes: [{name: tmp, emptyDir: {medium: Memory, sizeLimit: 16Mi}}]`,
	}
	wantObjects := map[string]map[string]any{}
	for k, doc := range want {
		o := fromYAML(t, doc).(map[string]any)
		if k == "logging-copier" {
			c := o["manifest"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			c["command"].([]any)[2] = compose.CopierScript
		}
		wantObjects[k] = o
	}
	if diff := cmp.Diff(wantObjects, got); diff != "" {
		t.Errorf("the copier: -want, +got:\n%s", diff)
	}
}

// TestLoggingCredentialsOnAnotherHost: when Crossplane does not run on the host cluster, the
// platform's kubeconfig for the host is mounted into the copier and its identity, not the
// copier's ServiceAccount, is bound to the writer's Role.
func TestLoggingCredentialsOnAnotherHost(t *testing.T) {
	input := loggingInput + `  credentials:
    hostKubeconfigSecret: host-writer
    hostSubject: {kind: User, name: tenant-writer}
    refreshSeconds: 300
`
	got := copierObjects(loggingRsp(t, input, loggingClaim, nil))
	subjects := got["logging-copier-writer-binding"]["manifest"].(map[string]any)["subjects"]
	if diff := cmp.Diff(fromYAML(t, `[{kind: User, name: tenant-writer, apiGroup: rbac.authorization.k8s.io}]`), subjects); diff != "" {
		t.Errorf("writer's subject: -want, +got:\n%s", diff)
	}
	spec := got["logging-copier"]["manifest"].(map[string]any)["spec"].(map[string]any)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	env := c["env"].([]any)
	if diff := cmp.Diff(fromYAML(t, `{name: HOST_KUBECONFIG, value: /etc/tenantcluster/host/kubeconfig}`), env[len(env)-1]); diff != "" {
		t.Errorf("the copier's last variable: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(fromYAML(t, `[{name: tmp, mountPath: /tmp}, {name: host, mountPath: /etc/tenantcluster/host, readOnly: true}]`), c["volumeMounts"]); diff != "" {
		t.Errorf("the copier's mounts: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(fromYAML(t, `[{name: tmp, emptyDir: {medium: Memory, sizeLimit: 16Mi}}, {name: host, secret: {secretName: host-writer, items: [{key: kubeconfig, path: kubeconfig}]}}]`), pod["volumes"]); diff != "" {
		t.Errorf("the copier's volumes: -want, +got:\n%s", diff)
	}
	if spec["ttlSecondsAfterFinished"] != float64(300) {
		t.Errorf("ttlSecondsAfterFinished %v, want the Input's refreshSeconds 300", spec["ttlSecondsAfterFinished"])
	}
}

// TestLoggingCredentialsCopierFailed: a copier Job observed failed tells the tenant which Secrets
// and keys to check, in which namespace, and when they are copied again.
func TestLoggingCredentialsCopierFailed(t *testing.T) {
	observed := map[string]*fnv1.Resource{"logging-copier": res(t, `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: team-a-dev-c553f163-log-credentials, annotations: {crossplane.io/composition-resource-name: logging-copier}}
status:
  conditions: [{type: Ready, status: "True", reason: Available}, {type: Synced, status: "True", reason: ReconcileSuccess}]
  atProvider:
    manifest:
      status: {failed: 5, conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded}]}
`)}
	rsp := loggingRsp(t, loggingInput, loggingClaim, observed)
	got := loggingReady(rsp)
	want := condition("LoggingReady", fnv1.Status_STATUS_CONDITION_FALSE, "Problems",
		"The logging-operator reports problems; fix the outputs named in spec.logging.outputs: the outputs' credentials could not be copied: "+
			"check that the Secrets es (key api-key), loki-auth (key password), loki-auth (key user) exist in namespace team-a; they are copied again within 900 seconds")
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("LoggingReady: -want, +got:\n%s", diff)
	}
}

// TestLoggingCredentialsNeverComposed: at no point does a composed object hold, target or copy
// the outputs' credentials: no Object's manifest is a Secret of the claim's or the credentials
// Secret, none copies with references, and the only rights on Secrets the copier gets are get on
// the named ones and the writing of the credentials Secret (no list or watch, which would reach
// every Secret of a namespace).
func TestLoggingCredentialsNeverComposed(t *testing.T) {
	rsp := loggingRsp(t, loggingInput, loggingClaim, nil)
	checked := 0
	for name, r := range rsp.GetDesired().GetResources() {
		obj := r.GetResource().AsMap()
		if spec, _ := obj["spec"].(map[string]any); spec["references"] != nil {
			t.Errorf("%s copies with references", name)
		}
		m, _, _ := unstructured.NestedMap(obj, "spec", "forProvider", "manifest")
		if m["kind"] == "Secret" {
			t.Errorf("%s composes a Secret %v", name, m["metadata"])
		}
		rules, _ := m["rules"].([]any)
		for _, r := range rules {
			rule := r.(map[string]any)
			if !slicesHave(rule["resources"], "secrets") {
				continue
			}
			checked++
			for _, v := range rule["verbs"].([]any) {
				if v == "list" || v == "watch" || v == "*" {
					t.Errorf("%s grants %s on Secrets", name, v)
				}
			}
			if rule["resourceNames"] == nil && !cmp.Equal(rule["verbs"], []any{"create"}) {
				t.Errorf("%s grants %v on every Secret of its namespace", name, rule["verbs"])
			}
		}
	}
	if checked < 3 {
		t.Fatalf("found %d rules on Secrets, want the copier's 3: the test would prove nothing", checked)
	}
}

func slicesHave(list any, s string) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
