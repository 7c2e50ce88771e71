package fn

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// monitoringInput offers monitoring to tenants, with a mail relay.
const monitoringInput = `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
monitoring:
  enabled: true
  federation: {url: "http://access-prometheus.cattle-monitoring-system.svc:9091", cidrs: [10.42.0.0/16]}
  email: {smarthost: "smtp.example.com:587", from: alerts@example.com}
`

// monitoringRefusedRsp is the response to a claim refused for one of its spec.monitoring fields.
func monitoringRefusedRsp(message string) *fnv1.RunFunctionResponse {
	rsp := refusedRsp(message)
	rsp.Conditions[0].Type = "MonitoringReady"
	return rsp
}

// monitoringRefusalCases are the claims the monitoring offer refuses.
func monitoringRefusalCases() map[string]refusalCase {
	claim := func(monitoring string) string { return tenanttest.ClaimXR("spec: {monitoring: " + monitoring + "}") }
	return map[string]refusalCase{
		"MonitoringRetentionAboveMax": {
			reason: "Prometheus keeps series no longer than the platform allows.",
			input:  monitoringInput,
			xr:     claim(`{retention: 8w}`),
			want:   monitoringRefusedRsp(`spec.monitoring.retention: 8w is more than this platform keeps series for; ask for at most 30d`),
		},
		"MonitoringStorageAboveMax": {
			reason: "Prometheus' volume is bounded by the platform.",
			input:  monitoringInput,
			xr:     claim(`{storage: 1Ti}`),
			want:   monitoringRefusedRsp(`spec.monitoring.storage: 1Ti is outside this platform's bounds; ask for more than 0 and at most 50Gi`),
		},
		"MonitoringEmailWithoutRelay": {
			reason: "Email receivers need the platform's mail relay.",
			input:  "apiVersion: tenantcluster.fn.crossplane.io/v1beta1\nkind: Input\nmonitoring: {enabled: true, federation: {url: \"http://prometheus-auth.monitoring.svc:9091\"}}\n",
			xr:     claim(`{receivers: [{name: team, email: {to: team@example.com}}]}`),
			want:   monitoringRefusedRsp(`spec.monitoring.receivers[0].email: this platform has no mail relay for alerts; use another receiver type`),
		},
		"MonitoringReceiverNamedTwice": {
			reason: "Two receivers of one name would be one route.",
			input:  monitoringInput,
			xr:     claim(`{receivers: [{name: a, email: {to: a@example.com}}, {name: a, email: {to: b@example.com}}]}`),
			want:   monitoringRefusedRsp(`spec.monitoring.receivers[1].name: "a" names two receivers; give each its own name`),
		},
		"MonitoringReceiverTwoTypes": {
			reason: "A receiver is of one type (only reachable through a v2 XR written by hand).",
			input:  monitoringInput,
			xr:     claim(`{receivers: [{name: a, email: {to: a@example.com}, webhook: {url: {name: s, key: u}}}]}`),
			want:   monitoringRefusedRsp(`spec.monitoring.receivers[0]: set exactly one of email, slack, webex, msteams, pagerduty and webhook`),
		},
		"MonitoringReceiverSecretKeyInvalid": {
			reason: "A credential is a Secret key of the claim's namespace, named as Kubernetes names keys.",
			input:  monitoringInput,
			xr:     claim(`{receivers: [{name: a, slack: {url: {name: alerts, key: "web hook"}}}]}`),
			want:   monitoringRefusedRsp(`spec.monitoring.receivers[0].slack.url.key: "web hook" is not a Secret key: letters, digits, '-', '_' and '.', at most 253`),
		},
		"MonitoringCredentialsWithoutClaim": {
			reason: "A legacy XR made without a claim has no namespace to read credentials from.",
			input:  monitoringInput,
			xr: `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata: {name: dev-x7k2p}
spec: {monitoring: {receivers: [{name: a, pagerduty: {routingKey: {name: pd, key: key}}}]}}
`,
			want: monitoringRefusedRsp(`spec.monitoring.receivers[0]: credentials are read from the claim's namespace, and this composite resource has none: create it through a claim`),
		},
		"MonitoringFederatorGrafanaPassword": {
			reason: "With prometheus-federator, Grafana is the Rancher project's: there is no admin password to give.",
			input:  rancherInput + "  projects: {hostClusterId: local, create: true}\nmonitoring: {enabled: true, backend: PrometheusFederator, federation: {url: \"http://prometheus-auth.monitoring.svc:9091\"}}\n",
			xr:     claim(`{grafana: {adminPassword: {name: g, key: password}}}`),
			want:   monitoringRefusedRsp(`spec.monitoring.grafana.adminPassword: this platform's Grafana is your Rancher project's: sign in through Rancher, and remove adminPassword`),
		},
		"MonitoringFederatorWithoutProject": {
			reason: "prometheus-federator serves a Rancher project: a tenant in none cannot have it.",
			input:  rancherInput + "monitoring: {enabled: true, backend: PrometheusFederator, federation: {url: \"http://prometheus-auth.monitoring.svc:9091\"}}\n",
			xr:     claim(`{retention: 10d}`),
			want:   rancherRefusedRsp(`spec.rancher.project: this platform's monitoring runs in the tenant's Rancher project (prometheus-federator): name a project the platform offers your namespace, or ask the platform to create projects`),
		},
	}
}
