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
	// Credentials are the Secret keys the outputs name, each once, sorted by HostKey: what the
	// copier brings from the claim's namespace into LogCredentialsSecret.
	Credentials []Credential
}

// LogCredentialsSecret is the Secret in the tenant's host namespace that holds the outputs'
// credentials: written by the copier, read by the logging-operator, never composed.
const LogCredentialsSecret = "tenant-log-credentials" //nolint:gosec // a Secret's name, not a credential

// LogOutput is one resolved output: exactly one of the types is set.
type LogOutput struct {
	Name          string
	Type          string
	Loki          *v1alpha1.LokiOutput
	HTTP          *v1alpha1.HTTPOutput
	Elasticsearch *v1alpha1.ElasticsearchOutput
	OpenSearch    *v1alpha1.OpenSearchOutput
	SplunkHEC     *v1alpha1.SplunkHECOutput
	Syslog        *v1alpha1.SyslogOutput
	S3            *v1alpha1.S3Output
	// Host is where the output sends, TotalLimitSize its buffer.
	Host           string
	TotalLimitSize resource.Quantity
	// Username, Password and APIKey (Splunk's token, S3's access key ID and secret key: Username
	// and Password) are the output's credentials as keys of LogCredentialsSecret ("" where the
	// output has none).
	Username, Password, APIKey string
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
	creds, err := t.logCredentials(spec.Outputs)
	if err != nil {
		return err
	}
	l.Credentials = creds
	t.Logging = l
	return nil
}

// logCredentials are the Secret keys the outputs name, each once. They are read from the
// claim's namespace, so a legacy XR made without a claim cannot name any.
func (t *Tenant) logCredentials(outputs []v1alpha1.LogOutput) ([]Credential, error) {
	byKey := map[string]Credential{}
	for i, o := range outputs {
		refs := outputSecretRefs(o)
		if len(refs) == 0 {
			continue
		}
		if t.Namespace == "" {
			return nil, &FieldError{Field: fmt.Sprintf("logging.outputs[%d]", i), Message: "credentials are read from the claim's namespace, and this composite resource has none: create it through a claim, or use an output without credentials"}
		}
		for _, ref := range refs {
			c := credentialOf(ref)
			byKey[c.HostKey] = c
		}
	}
	keys := slices.Sorted(maps.Keys(byKey))
	out := make([]Credential, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// outputSecretRefs are the Secret keys one output names.
func outputSecretRefs(o v1alpha1.LogOutput) []v1alpha1.SecretKeyRef {
	var refs []v1alpha1.SecretKeyRef
	basic := func(b *v1alpha1.LogBasicAuth) {
		if b != nil {
			refs = append(refs, b.Username, b.Password)
		}
	}
	if o.Loki != nil {
		basic(o.Loki.BasicAuth)
	}
	if o.HTTP != nil {
		basic(o.HTTP.BasicAuth)
	}
	var opt []*v1alpha1.SecretKeyRef
	if es := o.Elasticsearch; es != nil {
		opt = append(opt, es.Password, es.APIKey)
	}
	if opensearch := o.OpenSearch; opensearch != nil {
		opt = append(opt, opensearch.Password)
	}
	if h := o.SplunkHEC; h != nil {
		opt = append(opt, &h.Token)
	}
	if b := o.S3; b != nil {
		opt = append(opt, &b.AccessKeyID, &b.SecretAccessKey)
	}
	for _, r := range opt {
		if r != nil {
			refs = append(refs, *r)
		}
	}
	return refs
}

func resolveLogOutput(field string, o v1alpha1.LogOutput, offer inputv1beta1.LoggingSettings) (LogOutput, error) {
	out := LogOutput{Name: o.Name, Loki: o.Loki, HTTP: o.HTTP, Elasticsearch: o.Elasticsearch,
		OpenSearch: o.OpenSearch, SplunkHEC: o.SplunkHEC, Syslog: o.Syslog, S3: o.S3}
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
	if o.OpenSearch != nil {
		types, target = append(types, inputv1beta1.OutputOpenSearch), "https://"+o.OpenSearch.Host
	}
	if o.SplunkHEC != nil {
		types, target = append(types, inputv1beta1.OutputSplunkHEC), "https://"+o.SplunkHEC.Host
	}
	if o.Syslog != nil {
		types, target = append(types, inputv1beta1.OutputSyslog), "https://"+o.Syslog.Host
	}
	if o.S3 != nil {
		// Without an endpoint, AWS's for the bucket's region.
		types, target = append(types, inputv1beta1.OutputS3), o.S3.Endpoint
		if target == "" {
			if !s3Region.MatchString(o.S3.Region) {
				return out, &FieldError{Field: field + ".s3.region", Message: fmt.Sprintf("%q is not a region, e.g. eu-central-1", o.S3.Region)}
			}
			target = "https://s3." + o.S3.Region + ".amazonaws.com"
		}
	}
	if len(types) != 1 {
		return out, &FieldError{Field: field, Message: "set exactly one of loki, http, elasticsearch, opensearch, splunkHec, syslog and s3"}
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
	if err := resolveLogAuth(field, &out, o); err != nil {
		return out, err
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

// elasticsearchUser is a user name a claim may give: nothing fluentd's configuration would read
// as syntax.
var elasticsearchUser = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,128}$`)

// s3Region is an AWS region's shape; s3Path a key prefix without fluentd's %{...} placeholders.
var (
	s3Region = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	s3Path   = regexp.MustCompile(`^[A-Za-z0-9_./-]{0,256}$`)
)

// userAndPassword checks an Elasticsearch's or OpenSearch's user and password: both or neither,
// and a user name of a plain shape.
func userAndPassword(field, user string, password *v1alpha1.SecretKeyRef) error {
	if (user == "") != (password == nil) {
		return &FieldError{Field: field, Message: "user and password go together: set both, or neither"}
	}
	if user != "" && !elasticsearchUser.MatchString(user) {
		return &FieldError{Field: field + ".user", Message: fmt.Sprintf("%q is not a user name: at most 128 letters, digits and _.@-", user)}
	}
	return nil
}

// resolveLogAuth checks the output's credentials and names them by their keys in
// LogCredentialsSecret.
func resolveLogAuth(field string, out *LogOutput, o v1alpha1.LogOutput) error {
	check := func(f string, ref v1alpha1.SecretKeyRef) (string, error) {
		c, err := checkSecretKeyRef(field+f, ref)
		return c.HostKey, err
	}
	basic := func(f string, b *v1alpha1.LogBasicAuth) (err error) {
		if b == nil {
			return nil
		}
		if out.Username, err = check(f+".basicAuth.username", b.Username); err != nil {
			return err
		}
		out.Password, err = check(f+".basicAuth.password", b.Password)
		return err
	}
	var err error
	switch {
	case o.Loki != nil:
		err = basic(".loki", o.Loki.BasicAuth)
	case o.HTTP != nil:
		err = basic(".http", o.HTTP.BasicAuth)
	case o.OpenSearch != nil:
		opensearch := o.OpenSearch
		if err := userAndPassword(field+".opensearch", opensearch.User, opensearch.Password); err != nil {
			return err
		}
		if opensearch.Password != nil {
			out.Password, err = check(".opensearch.password", *opensearch.Password)
		}
	case o.SplunkHEC != nil:
		out.APIKey, err = check(".splunkHec.token", o.SplunkHEC.Token)
	case o.S3 != nil:
		if !s3Path.MatchString(o.S3.Path) {
			return &FieldError{Field: field + ".s3.path", Message: fmt.Sprintf("%q is not a key prefix: at most 256 letters, digits and _./-", o.S3.Path)}
		}
		if out.Username, err = check(".s3.accessKeyID", o.S3.AccessKeyID); err != nil {
			return err
		}
		out.Password, err = check(".s3.secretAccessKey", o.S3.SecretAccessKey)
	case o.Elasticsearch != nil:
		es := o.Elasticsearch
		if err := userAndPassword(field+".elasticsearch", es.User, es.Password); err != nil {
			return err
		}
		if es.APIKey != nil && es.Password != nil {
			return &FieldError{Field: field + ".elasticsearch", Message: "use apiKey, or user and password, not both"}
		}
		if es.Password != nil {
			if out.Password, err = check(".elasticsearch.password", *es.Password); err != nil {
				return err
			}
		}
		if es.APIKey != nil {
			out.APIKey, err = check(".elasticsearch.apiKey", *es.APIKey)
		}
	}
	return err
}
