package fn

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// moreOutputsClaim sends team-a/dev's logs to an OpenSearch, a Splunk HTTP Event Collector, a
// syslog server over TCP and an S3-compatible bucket, each at a host the platform allows.
const moreOutputsClaim = `spec:
  logging:
    outputs:
    - {name: search, opensearch: {host: os.logs.example.com, port: 9201, user: logs, password: {name: os, key: password}}}
    - {name: splunk, splunkHec: {host: hec.logs.example.com, index: dev, token: {name: splunk, key: token}}}
    - {name: syslog, syslog: {host: syslog.logs.example.com, transport: tcp}}
    - name: archive
      s3:
        bucket: dev-logs
        region: eu-central-1
        endpoint: https://s3.logs.example.com
        accessKeyID: {name: archive, key: id}
        secretAccessKey: {name: archive, key: secret}
`

// TestLoggingMoreOutputs checks the Outputs of the other output types whole, and validates them
// against the logging-operator's CRD: defaults where the claim says nothing (syslog's TCP port,
// Splunk's port and protocol, the S3 key prefix from the claim's namespace and name), and every
// credential a key of the tenant's credentials Secret.
func TestLoggingMoreOutputs(t *testing.T) {
	got := loggingManifests(loggingRsp(t, loggingInput, moreOutputsClaim, nil))
	if len(got) != 6 {
		t.Errorf("composed %d logging-operator objects, want the Logging, the Flow and 4 Outputs", len(got))
	}
	buffer := `{type: file, total_limit_size: "536870912", overflow_action: drop_oldest_chunk, flush_mode: interval, flush_interval: 10s,
          retry_max_interval: 60s, retry_timeout: 1h, retry_forever: false, timekey: 1m}`
	labels := `{app.kubernetes.io/managed-by: function-tenantcluster, tenantcluster.io/tenant: team-a-dev-c553f163, tenantcluster.io/claim-namespace: team-a}`
	secret := func(key string) string {
		return `{valueFrom: {secretKeyRef: {name: tenant-log-credentials, key: ` + key + `}}}`
	}
	want := map[string]string{
		"Output/tenant-search": `
spec:
  opensearch: {host: os.logs.example.com, port: 9201, scheme: https, index_name: dev, suppress_type_name: true,
    user: logs, password: ` + secret("os_password") + `, buffer: ` + buffer + `}`,
		"Output/tenant-splunk": `
spec:
  splunkHec: {hec_host: hec.logs.example.com, hec_port: 8088, protocol: https, index: dev, hec_token: ` + secret("splunk_token") + `, buffer: ` + buffer + `}`,
		"Output/tenant-syslog": `
spec:
  syslog: {host: syslog.logs.example.com, port: 514, transport: tcp, buffer: ` + buffer + `}`,
		"Output/tenant-archive": `
spec:
  s3: {s3_bucket: dev-logs, s3_region: eu-central-1, s3_endpoint: "https://s3.logs.example.com", path: team-a/dev/,
    aws_key_id: ` + secret("archive_id") + `, aws_sec_key: ` + secret("archive_secret") + `, buffer: ` + buffer + `}`,
	}
	schema := valuesschema.CRD(t, filepath.Join(valuesschema.SharedDir(t), "crds", "logging-operator", "logging.banzaicloud.io_outputs.yaml"), "v1beta1")
	for key, doc := range want {
		m := fromYAML(t, doc).(map[string]any)
		name := key[len("Output/"):]
		m["apiVersion"], m["kind"] = "logging.banzaicloud.io/v1beta1", "Output"
		m["metadata"] = fromYAML(t, `{name: `+name+`, namespace: tenant-team-a-dev-c553f163, labels: `+labels+`}`)
		if diff := cmp.Diff(m, got[key]); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", key, diff)
		}
		if err := schema.Validate(valuesschema.Instance(t, got[key])); err != nil {
			t.Errorf("%s does not validate against the logging-operator's CRD:\n%v", key, err)
		}
	}
}
