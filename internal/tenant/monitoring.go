package tenant

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Monitoring is the tenant's monitoring, resolved from the claim against the platform's offer.
type Monitoring struct {
	// Enabled: the claim asks for monitoring and the platform offers it.
	Enabled bool
	// Backend is the Input's monitoring.backend.
	Backend string
	// Retention and Storage are the claim's, or the platform's defaults, within its bounds.
	Retention string
	Storage   resource.Quantity
	// Receivers are the claim's alert receivers, in its order.
	Receivers []AlertReceiver
	// GrafanaAdminPassword is the Grafana admin password's key in MonitoringCredentialsSecret,
	// or "" when the claim gives none.
	GrafanaAdminPassword string
	// Credentials are the Secret keys the claim names for monitoring, each once, sorted by
	// HostKey: what the copier brings into MonitoringCredentialsSecret.
	Credentials []Credential
}

// MonitoringCredentialsSecret is the Secret in the tenant's host namespace that holds the
// receivers' credentials and the Grafana admin password: written by the copier, read by
// Alertmanager and Grafana, never composed.
const MonitoringCredentialsSecret = "tenant-monitoring-credentials" //nolint:gosec // a Secret's name, not a credential

// The receiver types.
const (
	ReceiverEmail     = "email"
	ReceiverSlack     = "slack"
	ReceiverWebex     = "webex"
	ReceiverMSTeams   = "msteams"
	ReceiverPagerDuty = "pagerduty"
	ReceiverWebhook   = "webhook"
)

// AlertReceiver is one resolved receiver.
type AlertReceiver struct {
	Name, Type   string
	SendResolved bool
	// To is an email receiver's address, Channel a Slack receiver's, RoomID a Webex one's.
	To, Channel, RoomID string
	// Credential is the receiver's credential (webhook URL, bot token, routing key) as a key
	// of MonitoringCredentialsSecret; "" for email.
	Credential string
}

// resolveMonitoring checks the claim's monitoring against the platform's offer. Without the
// platform's offer a claim's monitoring is ignored with a warning, as logging is.
func (t *Tenant) resolveMonitoring(spec *v1alpha1.MonitoringSpec) error {
	offer := t.Input.Monitoring
	if spec == nil {
		return nil
	}
	if !offer.Enabled {
		t.Warnings = append(t.Warnings, "spec.monitoring is ignored: this platform does not offer monitoring")
		return nil
	}
	m := Monitoring{Enabled: true, Backend: offer.Backend, Retention: offer.Retention.Default, Storage: offer.Storage.Default.DeepCopy()}
	if spec.Retention != "" {
		want, ok := inputv1beta1.ParseRetention(spec.Retention)
		if !ok {
			return &FieldError{Field: "monitoring.retention", Message: fmt.Sprintf("%q is not a retention: write a whole number of hours, days or weeks, e.g. 10d", spec.Retention)}
		}
		if most, _ := inputv1beta1.ParseRetention(offer.Retention.Max); want > most {
			return &FieldError{Field: "monitoring.retention", Message: fmt.Sprintf("%s is more than this platform keeps series for; ask for at most %s", spec.Retention, offer.Retention.Max)}
		}
		m.Retention = spec.Retention
	}
	if spec.Storage != nil {
		if spec.Storage.Sign() <= 0 || spec.Storage.Cmp(*offer.Storage.Max) > 0 {
			return &FieldError{Field: "monitoring.storage", Message: fmt.Sprintf("%s is outside this platform's bounds; ask for more than 0 and at most %s", spec.Storage, offer.Storage.Max)}
		}
		m.Storage = spec.Storage.DeepCopy()
	}
	if offer.Backend == inputv1beta1.MonitoringPrometheusFederator && t.Rancher.ProjectID == "" {
		return &FieldError{Field: "rancher.project", Message: "this platform's monitoring runs in the tenant's Rancher project (prometheus-federator): name a project the platform offers your namespace, or ask the platform to create projects"}
	}
	creds := map[string]Credential{}
	seen := map[string]bool{}
	for i, r := range spec.Receivers {
		field := fmt.Sprintf("monitoring.receivers[%d]", i)
		if seen[r.Name] {
			return &FieldError{Field: field + ".name", Message: fmt.Sprintf("%q names two receivers; give each its own name", r.Name)}
		}
		seen[r.Name] = true
		out, ref, err := resolveReceiver(field, r, offer)
		if err != nil {
			return err
		}
		if ref != nil {
			c, err := t.monitoringCredential(field, *ref) // checked by resolveReceiver
			if err != nil {
				return err
			}
			creds[c.HostKey], out.Credential = c, c.HostKey
		}
		m.Receivers = append(m.Receivers, out)
	}
	if g := spec.Grafana; g != nil && g.AdminPassword != nil {
		if offer.Backend == inputv1beta1.MonitoringPrometheusFederator {
			return &FieldError{Field: "monitoring.grafana.adminPassword", Message: "this platform's Grafana is your Rancher project's: sign in through Rancher, and remove adminPassword"}
		}
		c, err := t.monitoringCredential("monitoring.grafana.adminPassword", *g.AdminPassword)
		if err != nil {
			return err
		}
		creds[c.HostKey], m.GrafanaAdminPassword = c, c.HostKey
	}
	for _, k := range slices.Sorted(maps.Keys(creds)) {
		m.Credentials = append(m.Credentials, creds[k])
	}
	t.Monitoring = m
	return nil
}

// monitoringCredential checks a Secret key the claim names for monitoring. Such keys are read
// from the claim's namespace, so a legacy XR made without a claim cannot name any.
func (t *Tenant) monitoringCredential(field string, ref v1alpha1.SecretKeyRef) (Credential, error) {
	if t.Namespace == "" {
		return Credential{}, &FieldError{Field: field, Message: "credentials are read from the claim's namespace, and this composite resource has none: create it through a claim"}
	}
	return checkSecretKeyRef(field, ref)
}

// resolveReceiver resolves one receiver and returns the Secret key its credential is in.
func resolveReceiver(field string, r v1alpha1.AlertReceiver, offer inputv1beta1.MonitoringSettings) (AlertReceiver, *v1alpha1.SecretKeyRef, error) {
	out := AlertReceiver{Name: r.Name, SendResolved: r.SendResolved == nil || *r.SendResolved}
	var ref *v1alpha1.SecretKeyRef
	credField := field
	n := 0
	switch {
	case r.Email != nil:
		n++
		if offer.Email.Smarthost == "" || offer.Email.From == "" {
			return out, nil, &FieldError{Field: field + ".email", Message: "this platform has no mail relay for alerts; use another receiver type"}
		}
		out.Type, out.To = ReceiverEmail, r.Email.To
	}
	if r.Slack != nil {
		n++
		out.Type, out.Channel, ref = ReceiverSlack, r.Slack.Channel, &r.Slack.URL
		credField = field + ".slack.url"
	}
	if r.Webex != nil {
		n++
		out.Type, out.RoomID, ref = ReceiverWebex, r.Webex.RoomID, &r.Webex.BotToken
		credField = field + ".webex.botToken"
	}
	if r.MSTeams != nil {
		n++
		out.Type, ref = ReceiverMSTeams, &r.MSTeams.URL
		credField = field + ".msteams.url"
	}
	if r.PagerDuty != nil {
		n++
		out.Type, ref = ReceiverPagerDuty, &r.PagerDuty.RoutingKey
		credField = field + ".pagerduty.routingKey"
	}
	if r.Webhook != nil {
		n++
		out.Type, ref = ReceiverWebhook, &r.Webhook.URL
		credField = field + ".webhook.url"
	}
	if n != 1 {
		return out, nil, &FieldError{Field: field, Message: "set exactly one of email, slack, webex, msteams, pagerduty and webhook"}
	}
	if ref != nil {
		if _, err := checkSecretKeyRef(credField, *ref); err != nil {
			return out, nil, err
		}
	}
	return out, ref, nil
}
