package v1beta1

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The logging models.
const (
	// LoggingIsolated gives each tenant an aggregator of its own in its host namespace (a
	// Logging), attached to the platform's shared collector through the platform's
	// LoggingRoute: one tenant's failing sink can only fill its own buffer.
	LoggingIsolated = "Isolated"
	// LoggingShared puts only the tenant's Flow and Outputs under the platform's Logging.
	LoggingShared = "Shared"
)

// The log output types tenants may be offered.
const (
	OutputLoki          = "loki"
	OutputHTTP          = "http"
	OutputElasticsearch = "elasticsearch"
	OutputOpenSearch    = "opensearch"
	OutputSplunkHEC     = "splunkHec"
	OutputSyslog        = "syslog"
	OutputS3            = "s3"
)

// OutputTypes are the output types the function knows, in the order the claim's API lists them.
func OutputTypes() []string {
	return []string{OutputLoki, OutputHTTP, OutputElasticsearch, OutputOpenSearch, OutputSplunkHEC, OutputSyslog, OutputS3}
}

// DefaultRouteLabels select tenant Loggings for the platform's LoggingRoute.
func DefaultRouteLabels() map[string]string {
	return map[string]string{"tenantcluster.io/logging-route": "tenants"}
}

// LoggingSettings offers tenants logging through the platform's logging-operator (kube-logging,
// logging.banzaicloud.io/v1beta1), which runs on the host cluster.
type LoggingSettings struct {
	// Enabled offers spec.logging to tenants. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Model is Isolated (default: an aggregator per tenant in its host namespace) or Shared
	// (the platform's aggregator, named by loggingRef).
	// +optional
	// +kubebuilder:validation:Enum=Isolated;Shared
	Model string `json:"model,omitempty"`

	// OutputTypes are the output types tenants may use. Default: all of them (loki, http,
	// elasticsearch, opensearch, splunkHec, syslog, s3); the hosts bound where they send.
	// +optional
	// +kubebuilder:validation:items:Enum=loki;http;elasticsearch;opensearch;splunkHec;syslog;s3
	OutputTypes []string `json:"outputTypes,omitempty"`

	// Hosts are where tenants' outputs may send: a host name, or "*.example.com" for every name
	// under example.com. Empty: nowhere, so no claim can turn logging on.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Hosts []string `json:"hosts,omitempty"`

	// GlobalOutputRefs are the platform's ClusterOutputs every tenant's Flow also sends to (an
	// audit archive, say); tenants cannot remove them.
	// +optional
	GlobalOutputRefs []string `json:"globalOutputRefs,omitempty"`

	// RouteLabels are set on each tenant's Logging (Isolated) so that the platform's
	// LoggingRoute attaches it to the shared collector. Default:
	// tenantcluster.io/logging-route: tenants.
	// +optional
	RouteLabels map[string]string `json:"routeLabels,omitempty"`

	// LoggingRef names the platform's Logging the tenants' Flows and Outputs belong to (Shared;
	// required there).
	// +optional
	LoggingRef string `json:"loggingRef,omitempty"`

	// Buffer bounds each output's buffer.
	// +optional
	Buffer LogBufferSettings `json:"buffer,omitempty"`

	// Aggregator is each tenant's own aggregator (Isolated).
	// +optional
	Aggregator LogAggregator `json:"aggregator,omitempty"`

	// Credentials is how the outputs' credentials (the Secret keys a claim names) reach the
	// tenant's host namespace.
	// +optional
	Credentials CredentialCopier `json:"credentials,omitempty"`
}

// LogBufferSettings bound the tenants' output buffers.
type LogBufferSettings struct {
	// DefaultTotalLimitSize is an output's buffer when the claim states none. Default: 512Mi.
	// +optional
	DefaultTotalLimitSize *resource.Quantity `json:"defaultTotalLimitSize,omitempty"`
	// MaxTotalLimitSize is the most a claim may ask for one output. Default: 2Gi.
	// +optional
	MaxTotalLimitSize *resource.Quantity `json:"maxTotalLimitSize,omitempty"`
}

// LogAggregator is a tenant's own fluentd aggregator. It runs in the tenant's host namespace:
// its requests and limits and its buffer volume count against the tenant's quota.
type LogAggregator struct {
	// Resources of the aggregator's fluentd container. Default: requests 100m CPU and 256Mi,
	// limits 500m CPU and 512Mi.
	// +optional
	Resources *Resources `json:"resources,omitempty"`
	// BufferVolumeSize is the aggregator's buffer volume. Default: 4Gi; it must hold every
	// output's buffer.
	// +optional
	BufferVolumeSize *resource.Quantity `json:"bufferVolumeSize,omitempty"`
}

func (in *Input) defaultLogging() {
	l := &in.Logging
	if l.Model == "" {
		l.Model = LoggingIsolated
	}
	if l.OutputTypes == nil {
		l.OutputTypes = OutputTypes()
	}
	if l.RouteLabels == nil {
		l.RouteLabels = DefaultRouteLabels()
	}
	if l.Buffer.DefaultTotalLimitSize == nil {
		q := resource.MustParse("512Mi")
		l.Buffer.DefaultTotalLimitSize = &q
	}
	if l.Buffer.MaxTotalLimitSize == nil {
		q := resource.MustParse("2Gi")
		l.Buffer.MaxTotalLimitSize = &q
	}
	if l.Aggregator.Resources == nil {
		l.Aggregator.Resources = &Resources{
			Requests: list("cpu", "100m", "memory", "256Mi"),
			Limits:   list("cpu", "500m", "memory", "512Mi"),
		}
	}
	l.Credentials.defaults()
	if l.Aggregator.BufferVolumeSize == nil {
		q := resource.MustParse("4Gi")
		l.Aggregator.BufferVolumeSize = &q
	}
}

// hostPattern is a host name, or *. followed by one.
var hostPattern = regexp.MustCompile(`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func (in *Input) validateLogging() error {
	l := in.Logging
	if l.Model != LoggingIsolated && l.Model != LoggingShared {
		return fmt.Errorf("input logging.model %q must be %s or %s", l.Model, LoggingIsolated, LoggingShared)
	}
	if l.Model == LoggingShared && l.Enabled {
		if errs := validation.IsDNS1123Subdomain(l.LoggingRef); len(errs) > 0 {
			return fmt.Errorf("input logging.loggingRef %q must name the platform's Logging for the Shared model: %s", l.LoggingRef, strings.Join(errs, "; "))
		}
	}
	for _, typ := range l.OutputTypes {
		if !slices.Contains(OutputTypes(), typ) {
			return fmt.Errorf("input logging.outputTypes: %q is not an output type the function knows (%s)", typ, strings.Join(OutputTypes(), ", "))
		}
	}
	for i, h := range l.Hosts {
		if len(h) > 253 || !hostPattern.MatchString(h) {
			return fmt.Errorf("input logging.hosts[%d]: %q is not a host name or *.<domain>", i, h)
		}
	}
	for i, ref := range l.GlobalOutputRefs {
		if errs := validation.IsDNS1123Subdomain(ref); len(errs) > 0 {
			return fmt.Errorf("input logging.globalOutputRefs[%d]: %q is not a ClusterOutput name", i, ref)
		}
	}
	for k, v := range l.RouteLabels {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			return fmt.Errorf("input logging.routeLabels: %s=%s is not a label: %s", k, v, strings.Join(errs, "; "))
		}
	}
	if l.Buffer.DefaultTotalLimitSize.Cmp(*l.Buffer.MaxTotalLimitSize) > 0 {
		return fmt.Errorf("input logging.buffer.defaultTotalLimitSize %s is above maxTotalLimitSize %s", l.Buffer.DefaultTotalLimitSize, l.Buffer.MaxTotalLimitSize)
	}
	if l.Buffer.DefaultTotalLimitSize.Sign() <= 0 {
		return fmt.Errorf("input logging.buffer.defaultTotalLimitSize must be more than zero")
	}
	return l.Credentials.validate("logging.credentials")
}

// HostAllowed reports whether tenants' outputs may send to host.
func (l LoggingSettings) HostAllowed(host string) bool {
	host = strings.ToLower(host)
	for _, h := range l.Hosts {
		if suffix, wildcard := strings.CutPrefix(h, "*"); wildcard {
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}
