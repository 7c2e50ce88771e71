package tenant

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Logging is the tenant's logging, resolved from the claim against the platform's offer.
type Logging struct {
	// Enabled: the claim asks for logging and the platform offers it.
	Enabled bool
	// Model is the Input's logging.model.
	Model string
	// Outputs are the claim's outputs, checked against the platform's types and hosts, in the
	// claim's order.
	Outputs []LogOutput
	// Namespaces (sorted) and Labels narrow the logs; IncludeControlPlane adds the control
	// plane's.
	Namespaces          []string
	Labels              map[string]string
	IncludeControlPlane bool
}

// LogOutput is one resolved output: exactly one of Loki, HTTP and Elasticsearch is set.
type LogOutput struct {
	Name          string
	Type          string
	Loki          *v1alpha1.LokiOutput
	HTTP          *v1alpha1.HTTPOutput
	Elasticsearch *v1alpha1.ElasticsearchOutput
	// Host is where the output sends, TotalLimitSize its buffer.
	Host           string
	TotalLimitSize resource.Quantity
}

// Loki label names and the values a claim may give them: nothing that fluentd's configuration
// would read as syntax.
var (
	lokiLabelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,62}$`)
	lokiLabelValue = regexp.MustCompile(`^[a-zA-Z0-9_.:/-]{1,128}$`)
)

// resolveLogging checks the claim's logging against the platform's offer: output types, the
// hosts tenants' logs may go to, buffer bounds. Without the platform's offer a claim's logging
// is ignored with a warning, as Rancher is, and what was set up for it goes.
func (t *Tenant) resolveLogging(spec *v1alpha1.LoggingSpec) error {
	offer := t.Input.Logging
	if spec == nil {
		return nil
	}
	if !offer.Enabled {
		t.Warnings = append(t.Warnings, "spec.logging is ignored: this platform does not offer logging")
		return nil
	}
	l := Logging{Enabled: true, Model: offer.Model, IncludeControlPlane: spec.IncludeControlPlane, Labels: spec.Labels}
	l.Namespaces = slices.Sorted(slices.Values(spec.Namespaces))
	l.Namespaces = slices.Compact(l.Namespaces)
	for _, k := range slices.Sorted(maps.Keys(spec.Labels)) {
		v := spec.Labels[k]
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			return &FieldError{Field: "logging.labels", Message: fmt.Sprintf("%s=%s is not a label: %s", k, v, strings.Join(errs, "; "))}
		}
		// vcluster rewrites these on the pods it syncs: selecting by them would select nothing,
		// or, for its own markers, another virtual cluster's pods.
		if k == "release" || strings.HasPrefix(k, "vcluster.loft.sh/") {
			return &FieldError{Field: "logging.labels", Message: fmt.Sprintf("%s is a label vcluster rewrites on the host; narrow by namespaces or by another label", k)}
		}
	}
	if len(spec.Outputs) == 0 {
		return &FieldError{Field: "logging.outputs", Message: "name at least one output, or remove spec.logging"}
	}
	seen := map[string]bool{}
	for i, o := range spec.Outputs {
		field := fmt.Sprintf("logging.outputs[%d]", i)
		out, err := resolveLogOutput(field, o, offer)
		if err != nil {
			return err
		}
		if seen[out.Name] {
			return &FieldError{Field: field + ".name", Message: fmt.Sprintf("%q names two outputs; give each its own name", out.Name)}
		}
		seen[out.Name] = true
		l.Outputs = append(l.Outputs, out)
	}
	t.Logging = l
	return nil
}

func resolveLogOutput(field string, o v1alpha1.LogOutput, offer inputv1beta1.LoggingSettings) (LogOutput, error) {
	out := LogOutput{Name: o.Name, Loki: o.Loki, HTTP: o.HTTP, Elasticsearch: o.Elasticsearch}
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 || len(o.Name) > 40 {
		return out, &FieldError{Field: field + ".name", Message: fmt.Sprintf("%q is not a name of at most 40 lowercase letters, digits and dashes", o.Name)}
	}
	var types []string
	var target string
	if o.Loki != nil {
		types, target = append(types, inputv1beta1.OutputLoki), o.Loki.URL
	}
	if o.HTTP != nil {
		types, target = append(types, inputv1beta1.OutputHTTP), o.HTTP.Endpoint
	}
	if o.Elasticsearch != nil {
		types, target = append(types, inputv1beta1.OutputElasticsearch), "https://"+o.Elasticsearch.Host
	}
	if len(types) != 1 {
		return out, &FieldError{Field: field, Message: "set exactly one of loki, http and elasticsearch"}
	}
	out.Type = types[0]
	if !slices.Contains(offer.OutputTypes, out.Type) {
		return out, &FieldError{Field: field + "." + out.Type, Message: fmt.Sprintf(
			"this platform does not offer %s outputs; choose one of %s", out.Type, strings.Join(offer.OutputTypes, ", "))}
	}
	u, err := url.Parse(target)
	if err == nil && u.User != nil {
		// Not repeated in the message: it would carry the password into conditions and events.
		return out, &FieldError{Field: field + "." + out.Type, Message: "the URL carries credentials (user:password@); a claim is no place for a secret, remove them"}
	}
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return out, &FieldError{Field: field + "." + out.Type, Message: fmt.Sprintf("%q is not an http(s) URL", target)}
	}
	out.Host = strings.ToLower(u.Hostname())
	if !offer.HostAllowed(out.Host) {
		allowed := "none"
		if len(offer.Hosts) > 0 {
			allowed = strings.Join(offer.Hosts, ", ")
		}
		return out, &FieldError{Field: field + "." + out.Type, Message: fmt.Sprintf(
			"%s is not a host this platform lets logs go to (%s)", out.Host, allowed)}
	}
	if o.Loki != nil {
		for _, k := range slices.Sorted(maps.Keys(o.Loki.ExtraLabels)) {
			if !lokiLabelName.MatchString(k) || !lokiLabelValue.MatchString(o.Loki.ExtraLabels[k]) {
				return out, &FieldError{Field: field + ".loki.extraLabels", Message: fmt.Sprintf(
					"%s=%s is not a Loki label: names are letters, digits and _, values at most 128 letters, digits and _.:/-", k, o.Loki.ExtraLabels[k])}
			}
		}
	}
	out.TotalLimitSize = offer.Buffer.DefaultTotalLimitSize.DeepCopy()
	if o.Buffer != nil && o.Buffer.TotalLimitSize != nil {
		q := *o.Buffer.TotalLimitSize
		if q.Sign() <= 0 || q.Cmp(*offer.Buffer.MaxTotalLimitSize) > 0 {
			return out, &FieldError{Field: field + ".buffer.totalLimitSize", Message: fmt.Sprintf(
				"%s must be more than zero and at most this platform's %s", q.String(), offer.Buffer.MaxTotalLimitSize.String())}
		}
		out.TotalLimitSize = q.DeepCopy()
	}
	return out, nil
}
