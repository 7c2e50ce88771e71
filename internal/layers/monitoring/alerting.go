package monitoring

import (
	"encoding/json"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The tenant's alerting: an AlertmanagerConfig of the claim's receivers and a PrometheusRule of
// the default rules, both in the host namespace, where the tenant's own Alertmanager and
// Prometheus (and no one else's: their selectors are pinned to this namespace and the tenant's
// label) pick them up.

// Names of the alerting objects in the host namespace.
const (
	alertmanagerConfigName = "tenant-alerts"
	rulesName              = "tenant-rules"
	// noneReceiver receives the always-firing alerts, and nothing when the claim names no
	// receiver: Alertmanager routes every alert somewhere.
	noneReceiver = "none"
)

// silenced are the alerts that fire by design and tell no one anything: Watchdog (that the
// pipeline works) and InfoInhibitor (which only inhibits info alerts).
var silenced = []string{"Watchdog", "InfoInhibitor"}

// alertmanagerConfig routes every alert to each of the claim's receivers, except the silenced
// ones. The receivers' credentials are keys of tenant.MonitoringCredentialsSecret, which the
// copier writes; the object itself holds none.
func alertmanagerConfig(t *tenant.Tenant) (*monitoringv1alpha1.AlertmanagerConfig, error) {
	m := t.Monitoring
	relay := t.Input.Monitoring.Email
	receivers := []monitoringv1alpha1.Receiver{{Name: noneReceiver}}
	routes := []monitoringv1alpha1.Route{{
		Receiver: noneReceiver,
		Matchers: []monitoringv1alpha1.Matcher{{Name: "alertname", MatchType: monitoringv1alpha1.MatchRegexp, Value: "^(" + strings.Join(silenced, "|") + ")$"}},
	}}
	for _, r := range m.Receivers {
		rcv := monitoringv1alpha1.Receiver{Name: r.Name}
		resolved := ptr.To(r.SendResolved)
		secret := func() *corev1.SecretKeySelector {
			return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: tenant.MonitoringCredentialsSecret}, Key: r.Credential}
		}
		switch r.Type {
		case tenant.ReceiverEmail:
			rcv.EmailConfigs = []monitoringv1alpha1.EmailConfig{{SendResolved: resolved, To: ptr.To(r.To), From: ptr.To(relay.From), Smarthost: ptr.To(relay.Smarthost)}}
		case tenant.ReceiverSlack:
			c := monitoringv1alpha1.SlackConfig{SendResolved: resolved, APIURL: secret()}
			if r.Channel != "" {
				c.Channel = ptr.To(r.Channel)
			}
			rcv.SlackConfigs = []monitoringv1alpha1.SlackConfig{c}
		case tenant.ReceiverWebex:
			rcv.WebexConfigs = []monitoringv1alpha1.WebexConfig{{SendResolved: resolved, RoomID: r.RoomID,
				HTTPConfig: &monitoringv1alpha1.HTTPConfig{Authorization: &monitoringv1.SafeAuthorization{Type: "Bearer", Credentials: secret()}}}}
		case tenant.ReceiverMSTeams:
			rcv.MSTeamsV2Configs = []monitoringv1alpha1.MSTeamsV2Config{{SendResolved: resolved, WebhookURL: secret()}}
		case tenant.ReceiverPagerDuty:
			rcv.PagerDutyConfigs = []monitoringv1alpha1.PagerDutyConfig{{SendResolved: resolved, RoutingKey: secret()}}
		case tenant.ReceiverWebhook:
			rcv.WebhookConfigs = []monitoringv1alpha1.WebhookConfig{{SendResolved: resolved, URLSecret: secret()}}
		}
		receivers = append(receivers, rcv)
		routes = append(routes, monitoringv1alpha1.Route{Receiver: r.Name, Continue: true})
	}
	children, err := routesJSON(routes)
	if err != nil {
		return nil, err
	}
	return &monitoringv1alpha1.AlertmanagerConfig{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1alpha1.SchemeGroupVersion.String(), Kind: monitoringv1alpha1.AlertmanagerConfigKind},
		ObjectMeta: metav1.ObjectMeta{Name: alertmanagerConfigName, Namespace: t.HostNamespace, Labels: selectorLabels(t)},
		Spec: monitoringv1alpha1.AlertmanagerConfigSpec{
			Route: &monitoringv1alpha1.Route{
				Receiver: noneReceiver,
				GroupBy:  []string{"alertname", "namespace"},
				Routes:   children,
			},
			Receivers: receivers,
		},
	}, nil
}

// rules are the default rules: what every tenant wants to be told, scoped to its own series (the
// tenant's Prometheus holds no other tenant's).
func rules(t *tenant.Tenant) *monitoringv1.PrometheusRule {
	rule := func(alert, expr, wait, severity, summary string) monitoringv1.Rule {
		d := monitoringv1.Duration(wait)
		return monitoringv1.Rule{
			Alert:       alert,
			Expr:        intstr.FromString(expr),
			For:         &d,
			Labels:      map[string]string{"severity": severity},
			Annotations: map[string]string{"summary": summary},
		}
	}
	controlPlane := fmt.Sprintf(`kube_statefulset_status_replicas_ready{namespace=%q,statefulset=%q}`, t.HostNamespace, t.ReleaseName)
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: metav1.ObjectMeta{Name: rulesName, Namespace: t.HostNamespace, Labels: selectorLabels(t)},
		Spec: monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{{
			Name: "tenant",
			Rules: []monitoringv1.Rule{
				{
					Alert:       "Watchdog",
					Expr:        intstr.FromString("vector(1)"),
					Labels:      map[string]string{"severity": "none"},
					Annotations: map[string]string{"summary": "Always firing: the tenant's alerting pipeline works."},
				},
				rule("PodCrashLooping", `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1`, "15m", "warning",
					"Pod {{ $labels.namespace }}/{{ $labels.pod }} (container {{ $labels.container }}) is crash looping."),
				rule("QuotaNearlyUsed", `kube_resourcequota{type="used"} / ignoring(type) (kube_resourcequota{type="hard"} > 0) > 0.9`, "15m", "warning",
					"{{ $labels.resource }} is {{ $value | humanizePercentage }} used of the virtual cluster's quota."),
				rule("VolumeNearlyFull", `kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.1`, "10m", "warning",
					"Volume claim {{ $labels.persistentvolumeclaim }} has less than 10% space left."),
				rule("ControlPlaneDown", fmt.Sprintf("(%s < 1) or absent(%s)", controlPlane, controlPlane), "5m", "critical",
					"The virtual cluster's control plane has no ready replica."),
			},
		}}},
	}
}

// routesJSON are child routes as the AlertmanagerConfig holds them (as raw JSON, since a route
// nests routes).
func routesJSON(routes []monitoringv1alpha1.Route) ([]apiextensionsv1.JSON, error) {
	out := make([]apiextensionsv1.JSON, 0, len(routes))
	for _, r := range routes {
		raw, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, apiextensionsv1.JSON{Raw: raw})
	}
	return out, nil
}
