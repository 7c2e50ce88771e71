package logging

import (
	"maps"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// loggingManifest is the tenant's own Logging (Isolated): an aggregator whose control namespace
// and only watched namespace is the tenant's host namespace, with the route labels the
// platform's LoggingRoute selects tenant Loggings by. It refuses a configuration that fails
// fluentd's check within the timeout rather than run it (StartWithTimeout).
func loggingManifest(t *tenant.Tenant) map[string]any {
	labels := t.Labels()
	for k, v := range t.Input.Logging.RouteLabels {
		labels[k] = v
	}
	maps.Copy(labels, t.Labels())
	agg := t.Input.Logging.Aggregator
	resources, _ := compose.ToMap(corev1.ResourceRequirements{Requests: agg.Resources.Requests, Limits: agg.Resources.Limits})
	pod, _ := compose.ToMap(aggregatorPodSecurity())
	container, _ := compose.ToMap(aggregatorContainerSecurity())
	return map[string]any{
		"apiVersion": apiVersion,
		"kind":       "Logging",
		"metadata":   map[string]any{"name": t.ID, "labels": labels},
		"spec": map[string]any{
			"controlNamespace": t.HostNamespace,
			"watchNamespaces":  []any{t.HostNamespace},
			"configCheck":      map[string]any{"strategy": "StartWithTimeout", "timeoutSeconds": int64(configCheckTimeoutSeconds)},
			"fluentd": map[string]any{
				"labels":    stringMap(aggregatorLabels()),
				"resources": resources,
				"security": map[string]any{
					"podSecurityContext": pod,
					"securityContext":    container,
				},
				"scaling": map[string]any{"replicas": int64(1)},
				"bufferStorageVolume": map[string]any{"pvc": map[string]any{"spec": map[string]any{
					"accessModes": []any{"ReadWriteOnce"},
					"resources":   map[string]any{"requests": map[string]any{"storage": agg.BufferVolumeSize.String()}},
					"volumeMode":  "Filesystem",
				}}},
			},
		},
	}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// configCheckTimeoutSeconds bounds fluentd's check of a new configuration.
const configCheckTimeoutSeconds = 10

// outputManifest is one of the claim's outputs as an Output in the host namespace. Only typed
// fields of the claim reach it; the buffer is bounded and drops the oldest records when full, so
// a sink that is down never stalls the aggregator's other outputs.
func outputManifest(t *tenant.Tenant, o tenant.LogOutput) map[string]any {
	spec := map[string]any{}
	buffer := map[string]any{
		"type":               "file",
		"total_limit_size":   strconv.FormatInt(o.TotalLimitSize.Value(), 10),
		"overflow_action":    "drop_oldest_chunk",
		"flush_mode":         "interval",
		"flush_interval":     "10s",
		"retry_max_interval": "60s",
		"retry_timeout":      "1h",
		"retry_forever":      false,
		"timekey":            "1m",
	}
	switch o.Type {
	case inputv1beta1.OutputLoki:
		loki := map[string]any{
			"url":    o.Loki.URL,
			"buffer": buffer,
			// Streams are labelled with the tenant's own names, from vcluster's labels and
			// annotations on the host pod (recordLabels).
			"labels":                      recordLabels(),
			"configure_kubernetes_labels": false,
			"extract_kubernetes_labels":   false,
			"remove_keys":                 []any{"kubernetes"},
		}
		if o.Loki.TenantID != "" {
			loki["tenant"] = o.Loki.TenantID
		}
		if o.Username != "" {
			loki["username"], loki["password"] = fromSecret(o.Username), fromSecret(o.Password)
		}
		if len(o.Loki.ExtraLabels) > 0 {
			extra := map[string]any{}
			for k, v := range o.Loki.ExtraLabels {
				extra[k] = v
			}
			loki["extra_labels"] = extra
		}
		spec["loki"] = loki
	case inputv1beta1.OutputHTTP:
		http := map[string]any{
			"endpoint":     o.HTTP.Endpoint,
			"format":       map[string]any{"type": "json"},
			"json_array":   true,
			"content_type": "application/json",
			"buffer":       buffer,
		}
		if o.Username != "" {
			http["auth"] = map[string]any{"username": fromSecret(o.Username), "password": fromSecret(o.Password)}
		}
		spec["http"] = http
	case inputv1beta1.OutputElasticsearch:
		es := o.Elasticsearch
		e := searchOutput(t, es.Host, es.Port, es.Scheme, es.IndexName, buffer)
		if es.User != "" {
			e["user"], e["password"] = es.User, fromSecret(o.Password)
		}
		if o.APIKey != "" {
			e["api_key"] = fromSecret(o.APIKey)
		}
		spec["elasticsearch"] = e
	case inputv1beta1.OutputOpenSearch:
		search := o.OpenSearch
		e := searchOutput(t, search.Host, search.Port, search.Scheme, search.IndexName, buffer)
		if search.User != "" {
			e["user"], e["password"] = search.User, fromSecret(o.Password)
		}
		spec["opensearch"] = e
	case inputv1beta1.OutputSplunkHEC:
		h := o.SplunkHEC
		hec := map[string]any{
			"hec_host":  h.Host,
			"hec_port":  int64(orDefault(h.Port, 8088)),
			"protocol":  orDefault(h.Protocol, "https"),
			"hec_token": fromSecret(o.APIKey),
			"buffer":    buffer,
		}
		if h.Index != "" {
			hec["index"] = h.Index
		}
		spec["splunkHec"] = hec
	case inputv1beta1.OutputSyslog:
		sl := o.Syslog
		transport := orDefault(sl.Transport, "tls")
		port := int32(6514)
		if transport == "tcp" {
			port = 514
		}
		spec["syslog"] = map[string]any{
			"host":      sl.Host,
			"port":      int64(orDefault(sl.Port, port)),
			"transport": transport,
			"buffer":    buffer,
		}
	case inputv1beta1.OutputS3:
		b := o.S3
		path := b.Path
		if path == "" {
			path = t.Namespace + "/" + t.Name + "/"
		}
		s3 := map[string]any{
			"s3_bucket":   b.Bucket,
			"s3_region":   b.Region,
			"path":        path,
			"aws_key_id":  fromSecret(o.Username),
			"aws_sec_key": fromSecret(o.Password),
			"buffer":      buffer,
		}
		if b.Endpoint != "" {
			s3["s3_endpoint"] = b.Endpoint
		}
		spec["s3"] = s3
	}
	if t.Logging.Model == inputv1beta1.LoggingShared {
		spec["loggingRef"] = t.Input.Logging.LoggingRef
	}
	return map[string]any{
		"apiVersion": apiVersion,
		"kind":       "Output",
		"metadata":   map[string]any{"name": outputName(o.Name), "namespace": t.HostNamespace, "labels": t.Labels()},
		"spec":       spec,
	}
}

// searchOutput is an Elasticsearch or OpenSearch output: port 9200, https and the claim's name as
// the index unless the claim says otherwise; no mapping types (removed in both).
func searchOutput(t *tenant.Tenant, host string, port int32, scheme, index string, buffer map[string]any) map[string]any {
	return map[string]any{
		"host":               host,
		"port":               int64(orDefault(port, 9200)),
		"scheme":             orDefault(scheme, "https"),
		"index_name":         orDefault(index, t.Name),
		"suppress_type_name": true,
		"buffer":             buffer,
	}
}

// orDefault is v, or d where v is its type's zero.
func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// fromSecret is a logging-operator secret value: the key of the tenant's credentials Secret in
// the host namespace, which the copier fills.
func fromSecret(key string) map[string]any {
	return map[string]any{"valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": tenant.LogCredentialsSecret, "key": key}}}
}

// recordLabels are the Loki stream labels, from the fields tenantFields adds to each record.
func recordLabels() map[string]any {
	return map[string]any{"namespace": "$.namespace", "pod": "$.pod", "container": "$.container"}
}

// flowManifest selects the tenant's pods in the host namespace: every pod its virtual cluster
// syncs (vcluster's managed-by label), narrowed to the claim's virtual namespaces and labels;
// the control plane only when asked for. Its records get the tenant's own names, and go to the
// claim's outputs and the platform's global ones.
func flowManifest(t *tenant.Tenant, outputs []string) map[string]any {
	l := t.Logging
	var match []any
	selectPods := func(labels map[string]any) {
		match = append(match, map[string]any{"select": map[string]any{"labels": labels}})
	}
	base := func() map[string]any {
		labels := map[string]any{labelManagedBy: t.ReleaseName}
		for k, v := range l.Labels {
			labels[k] = v
		}
		return labels
	}
	if len(l.Namespaces) == 0 {
		selectPods(base())
	}
	for _, ns := range l.Namespaces {
		labels := base()
		labels[labelVirtualNamespace] = ns
		selectPods(labels)
	}
	if l.IncludeControlPlane {
		selectPods(map[string]any{"app": "vcluster", "release": t.ReleaseName})
	}
	refs := make([]any, 0, len(outputs))
	for _, o := range outputs {
		refs = append(refs, o)
	}
	spec := map[string]any{
		"match":           match,
		"filters":         []any{map[string]any{"record_transformer": tenantFields()}},
		"localOutputRefs": refs,
	}
	if g := t.Input.Logging.GlobalOutputRefs; len(g) > 0 {
		global := make([]any, 0, len(g))
		for _, o := range g {
			global = append(global, o)
		}
		spec["globalOutputRefs"] = global
	}
	if l.Model == inputv1beta1.LoggingShared {
		spec["loggingRef"] = t.Input.Logging.LoggingRef
	}
	return map[string]any{
		"apiVersion": apiVersion,
		"kind":       "Flow",
		"metadata":   map[string]any{"name": "tenant-logs", "namespace": t.HostNamespace, "labels": t.Labels()},
		"spec":       spec,
	}
}

// tenantFields gives each record the tenant's own names: the namespace and pod inside its
// virtual cluster, from the label and annotation vcluster puts on the host pod, and the
// container. The expressions are the function's, fixed: nothing of the claim reaches fluentd's
// configuration but typed, checked values.
func tenantFields() map[string]any {
	return map[string]any{
		"enable_ruby": true,
		"records": []any{map[string]any{
			"namespace": `${record.dig("kubernetes", "labels", "` + labelVirtualNamespace + `")}`,
			"pod":       `${record.dig("kubernetes", "annotations", "` + annotationVirtualName + `") || record.dig("kubernetes", "pod_name")}`,
			"container": `${record.dig("kubernetes", "container_name")}`,
		}},
	}
}
