package v1alpha1

import "k8s.io/apimachinery/pkg/api/resource"

// MonitoringSpec gives the tenant a Prometheus, an Alertmanager and a Grafana of its own, in its
// host namespace, that see only its own workloads: the series of its pods that the cluster's
// Prometheus holds (federated through prometheus-auth, so only its namespace's) and the metrics
// its pods offer by annotation (prometheus.io/scrape: "true", prometheus.io/port,
// prometheus.io/path), under the names they have inside the virtual cluster.
type MonitoringSpec struct {
	// Retention is how long Prometheus keeps the series: a whole number of hours (h), days (d)
	// or weeks (w). Default and most: the platform's.
	// +optional
	// +kubebuilder:validation:Pattern=`^[1-9][0-9]{0,3}(h|d|w)$`
	Retention string `json:"retention,omitempty"`

	// Storage is the size of Prometheus' volume. Default and most: the platform's. It can grow
	// (where the storage class allows expansion) but never shrink: the volume is the tenant's
	// data, and a smaller size is kept at the size it has.
	// +optional
	Storage *resource.Quantity `json:"storage,omitempty"`

	// Receivers get the tenant's alerts: every alert goes to each of them, except the
	// always-firing Watchdog and InfoInhibitor.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	Receivers []AlertReceiver `json:"receivers,omitempty"`

	// Grafana is the tenant's Grafana.
	// +optional
	Grafana *GrafanaSpec `json:"grafana,omitempty"`
}

// GrafanaSpec is the tenant's Grafana. The tenant's Rancher members view it through Rancher's
// service proxy without logging in (as Viewer, never as admin); its owners edit by logging in as
// the admin user with the password in AdminPassword.
type GrafanaSpec struct {
	// AdminPassword is the Grafana admin user's password. Without it, nobody can log in to
	// edit: the dashboards can only be viewed.
	// +optional
	AdminPassword *SecretKeyRef `json:"adminPassword,omitempty"`
}

// AlertReceiver is one receiver of the tenant's alerts. Set exactly one type; its credentials
// are read from Secrets in the claim's namespace.
// +kubebuilder:validation:XValidation:rule="[has(self.email), has(self.slack), has(self.webex), has(self.msteams), has(self.pagerduty), has(self.webhook)].filter(x, x).size() == 1",message="set exactly one of email, slack, webex, msteams, pagerduty and webhook"
type AlertReceiver struct {
	// Name identifies the receiver within the claim.
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Email sends the alerts by email through the platform's mail relay.
	// +optional
	Email *EmailReceiver `json:"email,omitempty"`
	// Slack posts them to a Slack incoming webhook.
	// +optional
	Slack *SlackReceiver `json:"slack,omitempty"`
	// Webex posts them to a Webex room.
	// +optional
	Webex *WebexReceiver `json:"webex,omitempty"`
	// MSTeams posts them to a Microsoft Teams workflow webhook.
	// +optional
	MSTeams *MSTeamsReceiver `json:"msteams,omitempty"`
	// PagerDuty sends them to PagerDuty (Events API v2).
	// +optional
	PagerDuty *PagerDutyReceiver `json:"pagerduty,omitempty"`
	// Webhook posts them as Alertmanager's JSON to a URL.
	// +optional
	Webhook *WebhookReceiver `json:"webhook,omitempty"`

	// SendResolved also tells the receiver when an alert stops firing. Default: true.
	// +optional
	SendResolved *bool `json:"sendResolved,omitempty"`
}

// EmailReceiver sends to an address through the platform's mail relay.
type EmailReceiver struct {
	// To is the address.
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s,<>"]+@[^@\s,<>"]+$`
	To string `json:"to"`
}

// SlackReceiver posts to a Slack incoming webhook.
type SlackReceiver struct {
	// URL is the webhook URL (it is the credential).
	URL SecretKeyRef `json:"url"`
	// Channel overrides the webhook's channel, e.g. #alerts.
	// +optional
	// +kubebuilder:validation:MaxLength=80
	// +kubebuilder:validation:Pattern=`^[#@]?[-_.a-zA-Z0-9]+$`
	Channel string `json:"channel,omitempty"`
}

// WebexReceiver posts to a Webex room as a bot.
type WebexReceiver struct {
	// RoomID is the room's ID.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[-_=a-zA-Z0-9]+$`
	RoomID string `json:"roomID"`
	// BotToken is the bot's access token.
	BotToken SecretKeyRef `json:"botToken"`
}

// MSTeamsReceiver posts to a Microsoft Teams workflow (Power Automate) webhook.
type MSTeamsReceiver struct {
	// URL is the webhook URL (it is the credential).
	URL SecretKeyRef `json:"url"`
}

// PagerDutyReceiver sends to a PagerDuty service.
type PagerDutyReceiver struct {
	// RoutingKey is the integration key of an Events API v2 integration.
	RoutingKey SecretKeyRef `json:"routingKey"`
}

// WebhookReceiver posts to a URL.
type WebhookReceiver struct {
	// URL is where to post; it is read from a Secret because such URLs often carry a token.
	URL SecretKeyRef `json:"url"`
}

// MonitoringStatus is the tenant's monitoring, while it is on.
type MonitoringStatus struct {
	// Backend is what runs it: KubePrometheusStack or PrometheusFederator.
	Backend string `json:"backend,omitempty"`
	// Revision is the Helm revision of the monitoring release.
	// +optional
	Revision int64 `json:"revision,omitempty"`
	// GrafanaURL, AlertmanagerURL and PrometheusURL are where to reach them: through Rancher's
	// service proxy when the platform registers tenants in Rancher, else inside the host
	// cluster.
	GrafanaURL      string `json:"grafanaURL,omitempty"`
	AlertmanagerURL string `json:"alertmanagerURL,omitempty"`
	PrometheusURL   string `json:"prometheusURL,omitempty"`
	// Retention and Storage are what Prometheus keeps, and on what.
	Retention string `json:"retention,omitempty"`
	Storage   string `json:"storage,omitempty"`
	// Receivers are the receivers' names.
	// +optional
	Receivers []string `json:"receivers,omitempty"`
}
