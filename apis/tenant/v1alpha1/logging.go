package v1alpha1

import "k8s.io/apimachinery/pkg/api/resource"

// LoggingSpec sends the logs of the tenant's containers to the tenant's own sinks. Every
// container the tenant runs inside its virtual cluster runs as a pod of its host namespace, where
// the platform's logging-operator collects it; the records carry the tenant's own names (the
// virtual namespace and pod), not the host's.
type LoggingSpec struct {
	// Outputs are the sinks; every selected record goes to each of them.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	Outputs []LogOutput `json:"outputs"`

	// Namespaces narrows the logs to these namespaces of the virtual cluster. Default: all.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespaces []string `json:"namespaces,omitempty"`

	// Labels narrows the logs to pods that carry all these labels, as set inside the virtual
	// cluster.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	Labels map[string]string `json:"labels,omitempty"`

	// IncludeControlPlane also sends the logs of the virtual cluster's own control plane
	// (API server, syncer). Default: false.
	// +optional
	IncludeControlPlane bool `json:"includeControlPlane,omitempty"`
}

// LogOutput is one sink of the tenant's logs. Set exactly one type; the platform decides which
// types and which hosts tenants may use.
// +kubebuilder:validation:XValidation:rule="[has(self.loki), has(self.http), has(self.elasticsearch), has(self.opensearch), has(self.splunkHec), has(self.syslog), has(self.s3)].filter(x, x).size() == 1",message="set exactly one of loki, http, elasticsearch, opensearch, splunkHec, syslog and s3"
type LogOutput struct {
	// Name identifies the output within the claim.
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Loki sends to a Grafana Loki.
	// +optional
	Loki *LokiOutput `json:"loki,omitempty"`

	// HTTP posts the records as JSON to an endpoint.
	// +optional
	HTTP *HTTPOutput `json:"http,omitempty"`

	// Elasticsearch indexes the records in Elasticsearch.
	// +optional
	Elasticsearch *ElasticsearchOutput `json:"elasticsearch,omitempty"`

	// OpenSearch indexes the records in OpenSearch.
	// +optional
	OpenSearch *OpenSearchOutput `json:"opensearch,omitempty"`

	// SplunkHEC sends the records to Splunk's HTTP Event Collector.
	// +optional
	SplunkHEC *SplunkHECOutput `json:"splunkHec,omitempty"`

	// Syslog sends the records to a syslog server (RFC 5424), over TLS by default.
	// +optional
	Syslog *SyslogOutput `json:"syslog,omitempty"`

	// S3 writes the records as objects into an S3 bucket (AWS or S3-compatible).
	// +optional
	S3 *S3Output `json:"s3,omitempty"`

	// Buffer bounds what this output holds while its sink is slow or down; beyond it the
	// oldest records are dropped, so that a failing sink never stalls the others.
	// +optional
	Buffer *LogBuffer `json:"buffer,omitempty"`
}

// LokiOutput is a Grafana Loki.
type LokiOutput struct {
	// URL of Loki, e.g. https://loki.example.com.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^/?#\s"'{}<>$\\]+(/[^?#\s"'{}<>$\\]*)?$`
	URL string `json:"url"`
	// TenantID is Loki's tenant (the X-Scope-OrgID header), for a multi-tenant Loki.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.-]+$`
	TenantID string `json:"tenantID,omitempty"`
	// ExtraLabels are fixed labels added to every stream, e.g. {team: payments}.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	ExtraLabels map[string]string `json:"extraLabels,omitempty"`
	// BasicAuth names the user name and password Loki wants, in Secrets of the claim's
	// namespace.
	// +optional
	BasicAuth *LogBasicAuth `json:"basicAuth,omitempty"`
}

// HTTPOutput is an HTTP endpoint that takes the records as JSON.
type HTTPOutput struct {
	// Endpoint is the URL the records are posted to.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^/?#\s"'{}<>$\\]+(/[^?#\s"'{}<>$\\]*)?$`
	Endpoint string `json:"endpoint"`
	// BasicAuth names the user name and password the endpoint wants, in Secrets of the claim's
	// namespace.
	// +optional
	BasicAuth *LogBasicAuth `json:"basicAuth,omitempty"`
}

// ElasticsearchOutput is an Elasticsearch cluster.
// +kubebuilder:validation:XValidation:rule="has(self.user) == has(self.password)",message="user and password go together"
// +kubebuilder:validation:XValidation:rule="!(has(self.apiKey) && has(self.password))",message="use apiKey, or user and password, not both"
type ElasticsearchOutput struct {
	SearchCluster `json:",inline"`
	// APIKey is an Elasticsearch API key (the base64 of id:key), in a Secret of the claim's
	// namespace; instead of User and Password.
	// +optional
	APIKey *SecretKeyRef `json:"apiKey,omitempty"`
}

// OpenSearchOutput is an OpenSearch cluster.
// +kubebuilder:validation:XValidation:rule="has(self.user) == has(self.password)",message="user and password go together"
type OpenSearchOutput struct {
	SearchCluster `json:",inline"`
}

// SearchCluster is where an Elasticsearch or OpenSearch cluster is, the index the records go
// to, and whom it authenticates.
type SearchCluster struct {
	// Host is the cluster's host name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Host string `json:"host"`
	// Port of the cluster. Default: 9200.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// Scheme is https (default) or http.
	// +optional
	// +kubebuilder:validation:Enum=https;http
	Scheme string `json:"scheme,omitempty"`
	// IndexName is the index the records go to. Default: the tenant's claim name.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9_.-]*$`
	IndexName string `json:"indexName,omitempty"`
	// User is the user name the cluster authenticates, with Password.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.@-]+$`
	User string `json:"user,omitempty"`
	// Password of User, in a Secret of the claim's namespace.
	// +optional
	Password *SecretKeyRef `json:"password,omitempty"`
}

// SplunkHECOutput is Splunk's HTTP Event Collector.
type SplunkHECOutput struct {
	// Host is the collector's host name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Host string `json:"host"`
	// Port of the collector. Default: 8088.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// Protocol is https (default) or http.
	// +optional
	// +kubebuilder:validation:Enum=https;http
	Protocol string `json:"protocol,omitempty"`
	// Index is the Splunk index the events go to. Default: the token's.
	// +optional
	// +kubebuilder:validation:MaxLength=80
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9_-]*$`
	Index string `json:"index,omitempty"`
	// Token is the collector's token, in a Secret of the claim's namespace.
	Token SecretKeyRef `json:"token"`
}

// SyslogOutput is a syslog server.
type SyslogOutput struct {
	// Host is the server's host name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Host string `json:"host"`
	// Port of the server. Default: 6514 over TLS, 514 over TCP.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// Transport is tls (default) or tcp.
	// +optional
	// +kubebuilder:validation:Enum=tls;tcp
	Transport string `json:"transport,omitempty"`
}

// S3Output is an S3 bucket.
type S3Output struct {
	// Bucket is the bucket's name.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`
	Bucket string `json:"bucket"`
	// Region of the bucket, e.g. eu-central-1.
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Region string `json:"region"`
	// Endpoint is an S3-compatible service's URL; default AWS's for the region.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^/?#\s"'{}<>$\\]+/?$`
	Endpoint string `json:"endpoint,omitempty"`
	// Path is the prefix of the objects' keys. Default: <claim namespace>/<claim name>/.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_./-]*$`
	Path string `json:"path,omitempty"`
	// AccessKeyID and SecretAccessKey are the bucket's credentials, in Secrets of the claim's
	// namespace.
	AccessKeyID     SecretKeyRef `json:"accessKeyID"`
	SecretAccessKey SecretKeyRef `json:"secretAccessKey"`
}

// LogBasicAuth is a user name and password, each a key of a Secret in the claim's namespace.
type LogBasicAuth struct {
	// Username is the user name's Secret key.
	Username SecretKeyRef `json:"username"`
	// Password is the password's Secret key.
	Password SecretKeyRef `json:"password"`
}

// LogBuffer bounds an output's buffer.
type LogBuffer struct {
	// TotalLimitSize is the most the output keeps while its sink does not take it, e.g. 512Mi.
	// Default and maximum: the platform's.
	// +optional
	TotalLimitSize *resource.Quantity `json:"totalLimitSize,omitempty"`
}

// LoggingStatus is the tenant's logging as the platform set it up.
type LoggingStatus struct {
	// Model is how the platform runs the tenant's logging: Isolated (an aggregator of the
	// tenant's own) or Shared (the platform's aggregator).
	Model string `json:"model,omitempty"`
	// Outputs are the claim's outputs and their state.
	Outputs []LogOutputStatus `json:"outputs,omitempty"`
}

// LogOutputStatus is one output's state.
type LogOutputStatus struct {
	// Name is the output's name in the claim.
	Name string `json:"name"`
	// Ready is true once the logging-operator accepted the output without problems.
	Ready bool `json:"ready,omitempty"`
	// Problems are the logging-operator's problems with the output, if any.
	Problems []string `json:"problems,omitempty"`
}
