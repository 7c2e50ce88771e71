package fn

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// monitoringClaim is team-a/dev with three receivers and a Grafana admin password.
const monitoringClaim = `spec:
  monitoring:
    retention: 15d
    storage: 20Gi
    receivers:
    - {name: oncall, pagerduty: {routingKey: {name: alerts, key: pagerduty}}}
    - {name: chat, slack: {url: {name: alerts, key: slack}, channel: "#dev"}, sendResolved: false}
    - {name: team, email: {to: dev@example.com}}
    - {name: room, webex: {roomID: Y2lzY29zcGFyazovL3Vz, botToken: {name: alerts, key: webex}}}
    - {name: teams, msteams: {url: {name: alerts, key: teams}}}
    - {name: hook, webhook: {url: {name: hook, key: url}}}
    grafana: {adminPassword: {name: grafana, key: password}}
`

func monitoringRsp(t *testing.T, input, claim string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	return claimRsp(t, input, claim, observed)
}

// monitoringManifest is the manifest of a composed monitoring Object, or the Release, by
// pipeline name.
func monitoringManifest(t *testing.T, rsp *fnv1.RunFunctionResponse, name string) map[string]any {
	t.Helper()
	r := rsp.GetDesired().GetResources()[name]
	if r == nil {
		t.Fatalf("nothing composed as %s", name)
	}
	obj := r.GetResource().AsMap()
	if m, ok, _ := unstructured.NestedMap(obj, "spec", "forProvider", "manifest"); ok {
		return m
	}
	return obj
}

// TestMonitoringAlerting checks the whole AlertmanagerConfig and the federation Role: every
// receiver type with its credential as a key of the one credentials Secret (never a value), the
// always-firing alerts silenced first, every other alert to each receiver; and the rights
// project-monitoring gets, in the host namespace only.
func TestMonitoringAlerting(t *testing.T) {
	rsp := monitoringRsp(t, monitoringInput, monitoringClaim, nil)
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a}`
	secret := func(key string) string { return `{name: tenant-monitoring-credentials, key: ` + key + `}` }
	want := map[string]string{
		"monitoring-alerts": `
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {name: tenant-alerts, namespace: tenant-team-a-dev-c553f163, labels: {tenantcluster.io/tenant: team-a-dev-c553f163}}
spec:
  route:
    receiver: none
    groupBy: [alertname, namespace]
    routes:
    - {receiver: none, matchers: [{name: alertname, value: "^(Watchdog|InfoInhibitor)$", matchType: "=~"}]}
    - {receiver: oncall, continue: true}
    - {receiver: chat, continue: true}
    - {receiver: team, continue: true}
    - {receiver: room, continue: true}
    - {receiver: teams, continue: true}
    - {receiver: hook, continue: true}
  receivers:
  - {name: none}
  - {name: oncall, pagerdutyConfigs: [{sendResolved: true, routingKey: ` + secret("alerts_pagerduty") + `}]}
  - {name: chat, slackConfigs: [{sendResolved: false, apiURL: ` + secret("alerts_slack") + `, channel: "#dev"}]}
  - {name: team, emailConfigs: [{sendResolved: true, to: dev@example.com, from: alerts@example.com, smarthost: "smtp.example.com:587"}]}
  - {name: room, webexConfigs: [{sendResolved: true, roomID: Y2lzY29zcGFyazovL3Vz, httpConfig: {authorization: {type: Bearer, credentials: ` + secret("alerts_webex") + `}}}]}
  - {name: teams, msteamsv2Configs: [{sendResolved: true, webhookURL: ` + secret("alerts_teams") + `}]}
  - {name: hook, webhookConfigs: [{sendResolved: true, urlSecret: ` + secret("hook_url") + `}]}
`,
		"monitoring-role": `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: project-monitoring, namespace: tenant-team-a-dev-c553f163, labels: ` + labels + `}
rules:
- {apiGroups: [monitoring.coreos.com], resources: [prometheuses], verbs: [view]}
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [services], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [endpoints], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
`,
	}
	for name, doc := range want {
		if diff := cmp.Diff(fromYAML(t, doc), any(monitoringManifest(t, rsp, name))); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", name, diff)
		}
	}
	// The copier brings exactly the named keys.
	job := monitoringManifest(t, rsp, "monitoring-copier")
	env, _, _ := unstructured.NestedSlice(job, "spec", "template", "spec", "containers")
	var copies string
	for _, e := range env[0].(map[string]any)["env"].([]any) {
		if e.(map[string]any)["name"] == "COPIES" {
			copies = e.(map[string]any)["value"].(string)
		}
	}
	wantCopies := "alerts pagerduty alerts_pagerduty\nalerts slack alerts_slack\nalerts teams alerts_teams\nalerts webex alerts_webex\ngrafana password grafana_password\nhook url hook_url"
	if copies != wantCopies {
		t.Errorf("the copier copies:\n%s\nwant:\n%s", copies, wantCopies)
	}
}

// TestMonitoringReleaseValues checks what the Release asks of the chart where isolation and
// data depend on it: every selector pinned to the host namespace and the tenant, the chart's
// RBAC, operator and cluster scrapers off, the claim's retention and storage, the volume kept
// as the Input says, federation with the ServiceAccount's token, Grafana without an anonymous
// admin and with its password from a file.
func TestMonitoringReleaseValues(t *testing.T) {
	rel := monitoringManifest(t, monitoringRsp(t, monitoringInput, monitoringClaim, nil), "monitoring")
	values, _, _ := unstructured.NestedMap(rel, "spec", "forProvider", "values")
	ns := `{matchLabels: {kubernetes.io/metadata.name: tenant-team-a-dev-c553f163}}`
	obj := `{matchLabels: {tenantcluster.io/tenant: team-a-dev-c553f163}}`
	checks := map[string]string{
		"global":                              `{rbac: {create: false, createAggregateClusterRoles: false}}`,
		"prometheusOperator":                  `{enabled: false, admissionWebhooks: {enabled: false}, networkPolicy: {enabled: false}}`,
		"crds":                                `{enabled: false}`,
		"kubeStateMetrics":                    `{enabled: false}`,
		"nodeExporter":                        `{enabled: false}`,
		"kubelet":                             `{enabled: false}`,
		"kubernetesServiceMonitors":           `{enabled: false}`,
		"prometheus.serviceAccount":           `{create: false, name: project-monitoring}`,
		"prometheus.prometheusSpec.retention": `15d`,
		"prometheus.prometheusSpec.retentionSize":                           `17408MB`,
		"prometheus.prometheusSpec.storageSpec":                             `{volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}}}`,
		"prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy":    `{whenDeleted: Retain, whenScaled: Retain}`,
		"prometheus.prometheusSpec.serviceMonitorNamespaceSelector":         ns,
		"prometheus.prometheusSpec.podMonitorNamespaceSelector":             ns,
		"prometheus.prometheusSpec.probeNamespaceSelector":                  ns,
		"prometheus.prometheusSpec.scrapeConfigNamespaceSelector":           ns,
		"prometheus.prometheusSpec.ruleNamespaceSelector":                   ns,
		"prometheus.prometheusSpec.serviceMonitorSelector":                  obj,
		"prometheus.prometheusSpec.ruleSelector":                            obj,
		"prometheus.prometheusSpec.ignoreNamespaceSelectors":                `true`,
		"alertmanager.alertmanagerSpec.alertmanagerConfigNamespaceSelector": ns,
		"alertmanager.alertmanagerSpec.alertmanagerConfigSelector":          obj,
		"alertmanager.alertmanagerSpec.alertmanagerConfigMatcherStrategy":   `{type: None}`,
		"grafana.rbac":                           `{create: false, pspEnabled: false}`,
		"grafana.serviceAccount":                 `{create: true, automountServiceAccountToken: false}`,
		"grafana.sidecar":                        `{dashboards: {enabled: false}, datasources: {enabled: false}, alerts: {enabled: false}}`,
		"grafana.env":                            `{GF_SECURITY_ADMIN_USER: admin, GF_SECURITY_ADMIN_PASSWORD__FILE: /etc/grafana/admin/password}`,
		"grafana.extraSecretMounts":              `[{name: admin, secretName: tenant-monitoring-credentials, mountPath: /etc/grafana/admin, readOnly: true, items: [{key: grafana_password, path: password}]}]`,
		"grafana.grafana\\.ini.auth\\.anonymous": `{enabled: true, org_role: Viewer}`,
	}
	for path, want := range checks {
		got, ok, _ := unstructured.NestedFieldNoCopy(values, splitPath(path)...)
		if !ok {
			t.Errorf("values.%s is not set", path)
			continue
		}
		if diff := cmp.Diff(fromYAML(t, want), got); diff != "" {
			t.Errorf("values.%s: -want, +got:\n%s", path, diff)
		}
	}
	fed, _, _ := unstructured.NestedSlice(values, "prometheus", "prometheusSpec", "additionalScrapeConfigs")
	wantFed := `
job_name: federate
honor_labels: true
metrics_path: /federate
scheme: http
params: {"match[]": ['{namespace="tenant-team-a-dev-c553f163"}']}
authorization: {type: Bearer, credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token}
static_configs: [{targets: ["access-prometheus.cattle-monitoring-system.svc:9091"]}]
metric_relabel_configs:
- {source_labels: [namespace], regex: (.+), target_label: host_namespace, action: replace}
- {source_labels: [pod], regex: (.+), target_label: host_pod, action: replace}
- {source_labels: [pod], regex: (.+)-x-(.+)-x-dev, target_label: namespace, replacement: $2, action: replace}
- {source_labels: [pod], regex: (.+)-x-(.+)-x-dev, target_label: pod, replacement: $1, action: replace}
`
	if len(fed) != 2 {
		t.Fatalf("want the federation and the annotated pods' scrape configs, got %d", len(fed))
	}
	if diff := cmp.Diff(fromYAML(t, wantFed), fed[0]); diff != "" {
		t.Errorf("federation: -want, +got:\n%s", diff)
	}
	if chart, _, _ := unstructured.NestedMap(rel, "spec", "forProvider", "chart"); chart["version"] != "88.5.3" {
		t.Errorf("chart version %v, want the Input's exact 88.5.3", chart["version"])
	}
	if skip, _, _ := unstructured.NestedBool(rel, "spec", "forProvider", "skipCRDs"); !skip {
		t.Error("the Release installs the chart's CRDs: they are the cluster operator's")
	}
}

// splitPath splits a dotted path; "\." is a dot inside a key.
func splitPath(p string) []string {
	parts := strings.Split(strings.ReplaceAll(p, `\.`, "\x00"), ".")
	for i := range parts {
		parts[i] = strings.ReplaceAll(parts[i], "\x00", ".")
	}
	return parts
}

// TestMonitoringObjectsValidateAgainstCRDs validates the AlertmanagerConfig and PrometheusRule of
// the test claim and of examples/claims/monitoring.yaml, and the ProjectHelmChart of the
// PrometheusFederator backend, against the upstream CRDs (../shared/crds), strictly.
func TestMonitoringObjectsValidateAgainstCRDs(t *testing.T) {
	crds := valuesschema.SharedDir(t)
	schemas := map[string]*jsonschema.Schema{
		"AlertmanagerConfig": valuesschema.CRD(t, filepath.Join(crds, "crds", "prometheus-operator", "monitoring.coreos.com_alertmanagerconfigs.yaml"), "v1alpha1"),
		"PrometheusRule":     valuesschema.CRD(t, filepath.Join(crds, "crds", "prometheus-operator", "monitoring.coreos.com_prometheusrules.yaml"), "v1"),
		"ProjectHelmChart":   valuesschema.CRD(t, filepath.Join(crds, "crds", "prometheus-federator", "helm.cattle.io_projecthelmcharts.yaml"), "v1alpha1"),
	}
	federator := rancherInput + "  projects: {hostClusterId: local, create: true}\nmonitoring: {enabled: true, backend: PrometheusFederator, federation: {url: \"http://prometheus-auth.monitoring.svc:9091\"}, email: {smarthost: \"smtp.example.com:587\", from: alerts@example.com}}\n"
	example := strings.Replace(exampleSpec(t, "monitoring.yaml", "monitoring"), `"grafana":{"adminPassword":{"key":"grafana-admin","name":"shop-alerts"}},`, "", 1)
	cases := map[string]struct{ input, claim string }{
		"test claim":        {monitoringInput, monitoringClaim},
		"monitoring.yaml":   {monitoringInput, exampleSpec(t, "monitoring.yaml", "monitoring")},
		"federator":         {federator, strings.Replace(monitoringClaim, "    grafana: {adminPassword: {name: grafana, key: password}}\n", "", 1)},
		"federator/example": {federator, example},
	}
	for name, tc := range cases {
		rsp := monitoringRsp(t, tc.input, tc.claim, nil)
		seen := 0
		for _, r := range rsp.GetDesired().GetResources() {
			m, ok, _ := unstructured.NestedMap(r.GetResource().AsMap(), "spec", "forProvider", "manifest")
			if !ok {
				continue
			}
			s := schemas[m["kind"].(string)]
			if s == nil {
				continue
			}
			seen++
			if m["kind"] == "ProjectHelmChart" {
				// Its CRD's schema leaves out the object's apiVersion, kind and metadata.
				m = map[string]any{"spec": m["spec"]}
			}
			if err := s.Validate(valuesschema.Instance(t, m)); err != nil {
				t.Errorf("%s: %s does not validate against its CRD:\n%v", name, m["kind"], err)
			}
		}
		want := 2
		if strings.HasPrefix(name, "federator") {
			want = 3
		}
		if seen != want {
			t.Errorf("%s: validated %d objects, want %d", name, seen, want)
		}
	}
	// The strict check can fail.
	bad := map[string]any{"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig", "spec": map[string]any{"receivers": []any{map[string]any{"name": "x", "slackConfig": []any{}}}}}
	if err := schemas["AlertmanagerConfig"].Validate(valuesschema.Instance(t, bad)); err == nil {
		t.Error("a misspelt field (slackConfig) validates: the strict check is broken")
	}
}

// monitoringReady is the response's MonitoringReady condition, nil without one.
func monitoringReady(rsp *fnv1.RunFunctionResponse) *fnv1.Condition {
	return conditionOf(rsp, "MonitoringReady")
}

// observedRelease is the monitoring Release as provider-helm reports it.
func observedRelease(t *testing.T, ready bool, state, description string, revision int, storage string) *fnv1.Resource {
	t.Helper()
	status := "False"
	if ready {
		status = "True"
	}
	return res(t, `
apiVersion: helm.crossplane.io/v1beta1
kind: Release
metadata: {name: team-a-dev-c553f163-monitoring, annotations: {crossplane.io/composition-resource-name: monitoring}}
spec: {forProvider: {values: {prometheus: {prometheusSpec: {storageSpec: {volumeClaimTemplate: {spec: {storageClassName: fast, resources: {requests: {storage: `+storage+`}}}}}}}}}}
status:
  conditions: [{type: Ready, status: "`+status+`", reason: Available}, {type: Synced, status: "True", reason: ReconcileSuccess}]
  atProvider: {state: `+state+`, releaseDescription: "`+description+`", revision: `+strconv.Itoa(revision)+`}
`)
}

// readyObjects are the layer's other Objects, Ready.
func readyObjects(t *testing.T) map[string]*fnv1.Resource {
	t.Helper()
	out := map[string]*fnv1.Resource{}
	for _, name := range []string{"monitoring-account", "monitoring-role", "monitoring-role-binding", "monitoring-alerts", "monitoring-rules", "monitoring-dashboards"} {
		out[name] = res(t, `{apiVersion: kubernetes.crossplane.io/v1alpha2, kind: Object, metadata: {name: x, annotations: {crossplane.io/composition-resource-name: `+name+`}},
  status: {conditions: [{type: Ready, status: "True", reason: Available}]}}`)
	}
	return out
}

// TestMonitoringCondition covers what the tenant reads on MonitoringReady: waiting for the
// release, Helm's own words when it fails, ready with the revision; and status.monitoring with
// the addresses, the revision and what Prometheus keeps.
func TestMonitoringCondition(t *testing.T) {
	cases := map[string]struct {
		reason  string
		release *fnv1.Resource
		want    *fnv1.Condition
	}{
		"NotObserved": {
			reason: "Nothing observed yet: pending, naming what is awaited.",
			want: condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_FALSE, "Pending",
				"Waiting for the monitoring release to deploy."),
		},
		"Failed": {
			reason:  "Helm's message and the revision reach the tenant, and the phase is Failed.",
			release: observedRelease(t, false, "failed", `Upgrade \"dev-monitoring\" failed: Prometheus.monitoring.coreos.com \"tenant-monitoring-prometheus\" is invalid`, 3, "20Gi"),
			want: condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleaseFailed",
				`the monitoring release failed: Upgrade "dev-monitoring" failed: Prometheus.monitoring.coreos.com "tenant-monitoring-prometheus" is invalid (revision 3); provider-helm retries after a change of the claim's spec.monitoring or the platform's input`),
		},
		"Deployed": {
			reason:  "Deployed with every object ready: ready, with the revision and the receivers.",
			release: observedRelease(t, true, "deployed", "Upgrade complete", 4, "20Gi"),
			want: condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_TRUE, "Ready",
				"Prometheus, Alertmanager and Grafana are deployed (revision 4); alerts go to 6 receivers"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			observed := map[string]*fnv1.Resource{}
			if tc.release != nil {
				observed = readyObjects(t)
				observed["monitoring"] = tc.release
			}
			rsp := monitoringRsp(t, monitoringInput, monitoringClaim, observed)
			if diff := cmp.Diff(tc.want.String(), monitoringReady(rsp).String()); diff != "" {
				t.Errorf("%s\nMonitoringReady: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	rsp := monitoringRsp(t, monitoringInput, monitoringClaim, map[string]*fnv1.Resource{"monitoring": observedRelease(t, true, "deployed", "", 4, "20Gi")})
	status := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)["monitoring"]
	want := fromYAML(t, `
backend: KubePrometheusStack
revision: 4
grafanaURL: http://tenant-monitoring-grafana.tenant-team-a-dev-c553f163.svc:80
alertmanagerURL: http://tenant-monitoring-alertmanager.tenant-team-a-dev-c553f163.svc:9093
prometheusURL: http://tenant-monitoring-prometheus.tenant-team-a-dev-c553f163.svc:9090
retention: 15d
storage: 20Gi
receivers: [oncall, chat, team, room, teams, hook]
`)
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("status.monitoring: -want, +got:\n%s", diff)
	}
}

// TestMonitoringStorageNeverShrinks: a claim asking for less storage than Prometheus' volume has
// keeps the volume's size and storage class (a smaller request would only fail, and the data is
// the tenant's); more storage is asked for.
func TestMonitoringStorageNeverShrinks(t *testing.T) {
	for _, tc := range []struct {
		reason, had, wantSize string
	}{
		{"The claim asks for 20Gi, the volume has 40Gi: 40Gi stays.", "40Gi", "40Gi"},
		{"The claim asks for 20Gi, the volume has 10Gi: it grows to 20Gi.", "10Gi", "20Gi"},
	} {
		rsp := monitoringRsp(t, monitoringInput, monitoringClaim, map[string]*fnv1.Resource{"monitoring": observedRelease(t, true, "deployed", "", 2, tc.had)})
		rel := monitoringManifest(t, rsp, "monitoring")
		spec, _, _ := unstructured.NestedMap(rel, "spec", "forProvider", "values", "prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec")
		want := fromYAML(t, `{accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: `+tc.wantSize+`}}}`)
		if diff := cmp.Diff(want, any(spec)); diff != "" {
			t.Errorf("%s\nvolume claim: -want, +got:\n%s", tc.reason, diff)
		}
	}
}

// TestMonitoringVolumeWhenDeleted: what becomes of Prometheus' volume when the monitoring or the
// tenant goes is the Input's storage.whenDeleted, passed to the Prometheus' claim retention
// policy (Retain by default: TestMonitoringReleaseValues).
func TestMonitoringVolumeWhenDeleted(t *testing.T) {
	input := strings.Replace(monitoringInput, "  email:", "  storage: {whenDeleted: Delete}\n  email:", 1)
	rel := monitoringManifest(t, monitoringRsp(t, input, monitoringClaim, nil), "monitoring")
	got, _, _ := unstructured.NestedMap(rel, "spec", "forProvider", "values", "prometheus", "prometheusSpec", "persistentVolumeClaimRetentionPolicy")
	if diff := cmp.Diff(fromYAML(t, `{whenDeleted: Delete, whenScaled: Retain}`), any(got)); diff != "" {
		t.Errorf("persistentVolumeClaimRetentionPolicy: -want, +got:\n%s", diff)
	}
}

// TestMonitoringOffMeansOff: a claim that drops spec.monitoring composes nothing of the layer
// (its Release and Objects are then deleted) and says so on MonitoringReady, where one was
// reported before.
func TestMonitoringOffMeansOff(t *testing.T) {
	xr := tenanttest.ClaimXR(`spec: {}
status: {conditions: [{type: MonitoringReady, status: "True", reason: Ready, lastTransitionTime: "2026-12-01T00:00:00Z"}]}`)
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "t"}, Input: st(t, monitoringInput), Observed: &fnv1.State{Composite: res(t, xr)}}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for name := range rsp.GetDesired().GetResources() {
		if strings.HasPrefix(name, "monitoring") || strings.Contains(name, "-of-monitoring") {
			t.Errorf("%s is composed while monitoring is off", name)
		}
	}
	want := condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_TRUE, "Off",
		"Monitoring is off: the claim names no spec.monitoring, or the platform does not offer monitoring")
	if diff := cmp.Diff(want.String(), monitoringReady(rsp).String()); diff != "" {
		t.Errorf("MonitoringReady: -want, +got:\n%s", diff)
	}
}

// TestMonitoringFederator covers the PrometheusFederator backend: a ProjectHelmChart in the
// registration namespace of the tenant's created project, narrowed to its host namespace, with
// the claim's retention and storage; no Release, account or dashboards of the layer's own; and
// MonitoringReady and status.monitoring from what prometheus-federator reports.
func TestMonitoringFederator(t *testing.T) {
	input := rancherInput + "  projects: {hostClusterId: local, create: true}\nmonitoring: {enabled: true, backend: PrometheusFederator, federation: {url: \"http://prometheus-auth.monitoring.svc:9091\"}}\n"
	claim := `spec: {monitoring: {retention: 15d, storage: 20Gi, receivers: [{name: oncall, pagerduty: {routingKey: {name: alerts, key: pagerduty}}}]}}`
	phc := func(status string) *fnv1.Resource {
		return res(t, `
apiVersion: kubernetes.crossplane.io/v1alpha2
kind: Object
metadata: {name: x, annotations: {crossplane.io/composition-resource-name: monitoring}}
status:
  conditions: [{type: Ready, status: "True", reason: Available}, {type: Synced, status: "True", reason: ReconcileSuccess}]
  atProvider: {manifest: {status: `+status+`}}
`)
	}
	rsp := monitoringRsp(t, input, claim, nil)
	m := monitoringManifest(t, rsp, "monitoring")
	want := fromYAML(t, `
apiVersion: helm.cattle.io/v1alpha1
kind: ProjectHelmChart
metadata:
  name: tenant-monitoring
  namespace: cattle-project-p-4435e249
  labels: {app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a}
spec:
  helmApiVersion: monitoring.cattle.io/v1alpha1
  projectNamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tenant-team-a-dev-c553f163}}
  values:
    prometheus:
      prometheusSpec:
        retention: 15d
        retentionSize: 17408MB
        storageSpec: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}}}
        persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
        resources: {requests: {cpu: 200m, memory: 512Mi}, limits: {cpu: "1", memory: 2Gi, ephemeral-storage: 1Gi}}
    alertmanager: {alertmanagerSpec: {resources: {requests: {cpu: 20m, memory: 64Mi}, limits: {cpu: 100m, memory: 128Mi, ephemeral-storage: 256Mi}}}}
    grafana: {resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {cpu: 200m, memory: 256Mi, ephemeral-storage: 512Mi}}}
`)
	if diff := cmp.Diff(want, any(m)); diff != "" {
		t.Errorf("ProjectHelmChart: -want, +got:\n%s", diff)
	}
	for _, name := range []string{"monitoring-account", "monitoring-role", "monitoring-role-binding", "monitoring-dashboards"} {
		if rsp.GetDesired().GetResources()[name] != nil {
			t.Errorf("%s is composed: prometheus-federator brings its own", name)
		}
	}

	ready := readyObjects(t)
	for _, tc := range []struct {
		reason, status string
		want           *fnv1.Condition
	}{
		{"prometheus-federator cannot install: its words, and failed.", `{status: UnableToCreateHelmRelease, statusMessage: "project p-4435e249 has no namespaces"}`,
			condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_FALSE, "ReleaseFailed", "the ProjectHelmChart failed: project p-4435e249 has no namespaces")},
		{"Deployed: ready.", `{status: Deployed, dashboardValues: {grafanaURL: "https://rancher.example.com/k8s/clusters/local/api/v1/namespaces/cattle-project-p-4435e249-monitoring/services/http:rancher-monitoring-grafana:80/proxy/"}}`,
			condition("MonitoringReady", fnv1.Status_STATUS_CONDITION_TRUE, "Ready", "Prometheus, Alertmanager and Grafana are deployed (revision 0); alerts go to 1 receivers")},
	} {
		observed := map[string]*fnv1.Resource{"monitoring": phc(tc.status)}
		for _, n := range []string{"monitoring-alerts", "monitoring-rules"} {
			observed[n] = ready[n]
		}
		rsp := monitoringRsp(t, input, claim, observed)
		if diff := cmp.Diff(tc.want.String(), monitoringReady(rsp).String()); diff != "" {
			t.Errorf("%s\nMonitoringReady: -want, +got:\n%s", tc.reason, diff)
		}
		status := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)["monitoring"].(map[string]any)
		if want := strings.Contains(tc.status, "grafanaURL"); want != (status["grafanaURL"] != nil) {
			t.Errorf("%s\nstatus.monitoring.grafanaURL %v: only prometheus-federator's report gives it", tc.reason, status["grafanaURL"])
		}
	}
}
