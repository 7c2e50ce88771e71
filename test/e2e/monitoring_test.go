package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var (
	gvkPrometheus         = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "Prometheus"}
	gvkAlertmanager       = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "Alertmanager"}
	gvkAlertmanagerConfig = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1alpha1", Kind: "AlertmanagerConfig"}
	gvkPrometheusRule     = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}
)

// TestMonitoringLifecycle creates the tenant of examples/claims/monitoring.yaml and waits until
// its monitoring is ready: the real provider-helm fetched kube-prometheus-stack from its
// repository (served here) and installed it with the composed values into the host namespace,
// where the host API server admitted every object, the Prometheus and Alertmanager against the
// Prometheus operator's real CRDs; and provider-kubernetes applied the tenant's
// AlertmanagerConfig, PrometheusRule, dashboards and federation account. The receivers'
// credentials and Grafana's password are copied from the claim's namespace by the copier Job and
// are in no composed resource. No Prometheus operator runs here, so no Prometheus pod: what is
// proven is what the host accepts and holds. It then turns monitoring off (the Release is
// uninstalled, the objects and the copied credentials go, the claim says Off) and deletes the
// tenant.
func TestMonitoringLifecycle(t *testing.T) {
	const ns, name = "team-metrics", "shop"
	claim := claimFile(t, "examples/claims/monitoring.yaml", ns, name)
	secrets := map[string]any{"pagerduty": runPassword(t), "slack-url": "https://hooks.slack.com/services/" + runPassword(t), "grafana-admin": runPassword(t), "unrelated": "not copied"}
	claimSecret(t, ns, "shop-alerts", secrets)
	start := time.Now()
	applyClaim(t, claim)
	waitLayerReady(t, ns, name, "MonitoringReady", start, 3*time.Minute)
	before := settled(t, ns, name)
	id := idOf(t, before)
	hostNS := "tenant-" + id
	assertMonitoringOnHost(t, id, hostNS)
	credentials := assertMonitoringCredentialsCopied(t, hostNS, secrets)
	for _, k := range []string{"pagerduty", "slack-url", "grafana-admin"} {
		assertNothingComposedHolds(t, ns, name, before, secrets[k].(string))
	}
	status, _, _ := unstructured.NestedMap(getClaim(t, ns, name).Object, "status", "monitoring")
	if status["backend"] != "KubePrometheusStack" || status["retention"] != "15d" || status["storage"] != "20Gi" || status["revision"] != int64(1) {
		t.Errorf("status.monitoring: %v", status)
	}

	t.Run("off", func(t *testing.T) {
		// What Helm installed goes with the Release; the copied credentials with their owner.
		installed := []snapshot{
			{Composed: controlplane.Composed{GVK: gvkPrometheus, Namespace: hostNS, Name: "tenant-monitoring-prometheus"}},
			{Composed: controlplane.Composed{GVK: gvkAlertmanager, Namespace: hostNS, Name: "tenant-monitoring-alertmanager"}},
			{Composed: controlplane.Composed{GVK: gvkDeployment, Namespace: hostNS, Name: "tenant-monitoring-grafana"}},
			credentials,
		}
		// The Release, 6 Objects, 6 of the copier, and their 16 Usages.
		before = turnLayerOff(t, claim, before, layerOff{
			field: "monitoring", condition: "MonitoringReady", composed: 29,
			ours:     func(k string) bool { return strings.Contains(k, "-monitoring") },
			alsoGone: installed,
		})
	})

	t.Run("delete", func(t *testing.T) {
		deleteAndWaitGone(t, ns, name, before, 3*time.Minute)
	})
	assertBreakerClosed(t)
}

// assertMonitoringOnHost checks the tenant's monitoring as the host API server holds it: Helm's
// Prometheus running as project-monitoring with every selector pinned to the host namespace and
// the tenant, its Alertmanager reading only the tenant's AlertmanagerConfigs, Grafana without a
// ServiceAccount token, and the function's own objects.
func assertMonitoringOnHost(t *testing.T, id, hostNS string) {
	t.Helper()
	p := mustGet(t, gvkPrometheus, hostNS, "tenant-monitoring-prometheus")
	spec, _, _ := unstructured.NestedMap(p.Object, "spec")
	if spec["serviceAccountName"] != "project-monitoring" {
		t.Errorf("Prometheus runs as %v, want project-monitoring", spec["serviceAccountName"])
	}
	for _, k := range []string{"serviceMonitorNamespaceSelector", "podMonitorNamespaceSelector", "probeNamespaceSelector", "scrapeConfigNamespaceSelector", "ruleNamespaceSelector"} {
		if got := fmt.Sprint(spec[k]); got != "map[matchLabels:map[kubernetes.io/metadata.name:"+hostNS+"]]" {
			t.Errorf("Prometheus %s is %s, want the host namespace only", k, got)
		}
	}
	for _, k := range []string{"serviceMonitorSelector", "podMonitorSelector", "probeSelector", "scrapeConfigSelector", "ruleSelector"} {
		if got := fmt.Sprint(spec[k]); got != "map[matchLabels:map[tenantcluster.io/tenant:"+id+"]]" {
			t.Errorf("Prometheus %s is %s, want the tenant's label", k, got)
		}
	}
	a := mustGet(t, gvkAlertmanager, hostNS, "tenant-monitoring-alertmanager")
	if got, _, _ := unstructured.NestedFieldNoCopy(a.Object, "spec", "alertmanagerConfigNamespaceSelector"); fmt.Sprint(got) != "map[matchLabels:map[kubernetes.io/metadata.name:"+hostNS+"]]" {
		t.Errorf("Alertmanager reads AlertmanagerConfigs of %v, want the host namespace only", got)
	}
	g := mustGet(t, gvkDeployment, hostNS, "tenant-monitoring-grafana")
	if automount, found, _ := unstructured.NestedBool(g.Object, "spec", "template", "spec", "automountServiceAccountToken"); !found || automount {
		t.Error("Grafana's pods mount a ServiceAccount token")
	}
	amc := mustGet(t, gvkAlertmanagerConfig, hostNS, "tenant-alerts")
	receivers, _, _ := unstructured.NestedSlice(amc.Object, "spec", "receivers")
	if len(receivers) != 4 {
		t.Errorf("the AlertmanagerConfig has %d receivers, want none and the claim's three", len(receivers))
	}
	mustGet(t, gvkPrometheusRule, hostNS, "tenant-rules")
	mustGet(t, schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}, hostNS, "project-monitoring")
}

// assertMonitoringCredentialsCopied waits for the copier to have written the three keys the
// claim names, and nothing else, into the tenant's monitoring credentials Secret.
func assertMonitoringCredentialsCopied(t *testing.T, hostNS string, secrets map[string]any) snapshot {
	t.Helper()
	want := map[string]string{}
	for _, k := range []string{"pagerduty", "slack-url", "grafana-admin"} {
		want["shop-alerts_"+k] = secrets[k].(string)
	}
	return assertCopied(t, hostNS, "tenant-monitoring-credentials", want)
}
