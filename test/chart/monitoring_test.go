package chart

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/valuesschema"
)

// The tenant's monitoring as the real kube-prometheus-stack chart (../shared/charts, 88.5.3,
// the Input's default) makes it from the values the function composes.

// monitoring is one tenant's monitoring: the Release's name, namespace and values, the
// function's composed objects, and what the chart renders.
type monitoring struct {
	release, namespace string
	values             map[string]any
	r                  release
	objects            []*unstructured.Unstructured
}

// renderMonitoring composes the tenant and renders its monitoring Release with the real chart.
func renderMonitoring(t *testing.T, tc tenant) monitoring {
	t.Helper()
	r := compose(t, tc)
	rel := r.desired["monitoring"].GetResource().AsMap()
	if rel == nil {
		t.Fatalf("%s: no monitoring Release composed", tc.name)
	}
	fp, _, _ := unstructured.NestedMap(rel, "spec", "forProvider")
	chartRef, _ := fp["chart"].(map[string]any)
	file := filepath.Join(valuesschema.SharedDir(t), "charts", fmt.Sprintf("%s-%s.tgz", chartRef["name"], chartRef["version"]))
	// Loaded for each render: Helm drops the switched-off dependencies from the chart it renders.
	c, err := loader.Load(file)
	if err != nil {
		t.Fatalf("the Input's monitoring chart is not in ../shared/charts: %v", err)
	}
	meta, _ := rel["metadata"].(map[string]any)
	name := meta["annotations"].(map[string]any)["crossplane.io/external-name"].(string)
	values, _ := fp["values"].(map[string]any)
	m := monitoring{release: name, namespace: fp["namespace"].(string), values: values, r: r}
	m.objects = renderChart(t, c, name, m.namespace, jsonRoundTrip(t, values))
	return m
}

func (m monitoring) all(kind string) []*unstructured.Unstructured {
	return rendered{objects: m.objects}.all(kind)
}

func (m monitoring) one(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	return rendered{objects: m.objects}.one(t, kind, name)
}

// monitoringTenants are the tenants with monitoring.
func monitoringTenants() []tenant {
	return []tenant{
		{name: "monitoring.yaml", claim: "monitoring.yaml"},
		{name: "full.yaml", claim: "full.yaml"},
		{name: "full.yaml/without-rancher", claim: "full.yaml", input: withoutRancher},
	}
}

// TestMonitoringChartMakesOnlyTheTenants renders the chart and checks what it makes: only the
// tenant's Prometheus and Alertmanager (for the cluster's operator), Grafana, their Services,
// ServiceMonitors, ConfigMaps, Secrets and ServiceAccounts, all in the host namespace; nothing
// cluster-scoped, no CRDs, no RBAC, no hooks; the Services where status.monitoring says.
func TestMonitoringChartMakesOnlyTheTenants(t *testing.T) {
	allowed := map[string]bool{
		"Prometheus": true, "Alertmanager": true, "Deployment": true, "Service": true, "ServiceMonitor": true,
		"ConfigMap": true, "Secret": true, "ServiceAccount": true,
	}
	for _, tc := range monitoringTenants() {
		t.Run(tc.name, func(t *testing.T) {
			m := renderMonitoring(t, tc)
			kinds := map[string]int{}
			for _, o := range m.objects {
				kinds[o.GetKind()]++
				if !allowed[o.GetKind()] {
					t.Errorf("the chart makes a %s %s: only the tenant's monitoring objects belong here", o.GetKind(), o.GetName())
				}
				if o.GetNamespace() != m.namespace {
					t.Errorf("%s %s is in namespace %q, not the host namespace %s", o.GetKind(), o.GetName(), o.GetNamespace(), m.namespace)
				}
				if _, hook := o.GetAnnotations()["helm.sh/hook"]; hook {
					t.Errorf("%s %s is a Helm hook, which provider-helm runs outside the Release's objects", o.GetKind(), o.GetName())
				}
			}
			if kinds["Prometheus"] != 1 || kinds["Alertmanager"] != 1 || kinds["Deployment"] != 1 {
				t.Errorf("want one Prometheus, one Alertmanager and one Deployment (Grafana), got %v", kinds)
			}
			// status.monitoring's addresses are the rendered Services'.
			status := m.r.declared.Status.Monitoring
			for _, url := range []string{status.GrafanaURL, status.AlertmanagerURL, status.PrometheusURL} {
				found := false
				for _, u := range m.all("Service") {
					var s corev1.Service
					into(t, u, &s)
					for _, p := range s.Spec.Ports {
						if strings.Contains(url, fmt.Sprintf("%s.%s.svc:%d", s.Name, m.namespace, p.Port)) || strings.Contains(url, fmt.Sprintf("http:%s:%d/proxy", s.Name, p.Port)) {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("status.monitoring names %s, which no rendered Service serves", url)
				}
			}
			// The Prometheus runs as project-monitoring, with the composed scrape configs.
			prom := m.all("Prometheus")[0]
			if sa, _, _ := unstructured.NestedString(prom.Object, "spec", "serviceAccountName"); sa != "project-monitoring" {
				t.Errorf("Prometheus runs as %q, not project-monitoring (the account federation authorises)", sa)
			}
			if strategy, _, _ := unstructured.NestedString(m.all("Alertmanager")[0].Object, "spec", "alertmanagerConfigMatcherStrategy", "type"); strategy != "None" {
				t.Errorf("Alertmanager's matcher strategy is %q: OnNamespace would add the host namespace to routes of alerts that carry the virtual ones", strategy)
			}
		})
	}
}

// TestMonitoringGrafana holds the Grafana Deployment the chart renders against the monitoring
// layer's declaration and the tenant's rules: restricted Pod Security, no ServiceAccount token,
// the declared images, resources and volumes; and its configuration: no anonymous admin, the
// datasource at the tenant's Prometheus Service, the admin password from the copied Secret.
func TestMonitoringGrafana(t *testing.T) {
	for _, tc := range monitoringTenants() {
		t.Run(tc.name, func(t *testing.T) {
			m := renderMonitoring(t, tc)
			var d appsv1.Deployment
			into(t, m.all("Deployment")[0], &d)
			if r := refusals(t, "restricted", d.Spec.Template); len(r) > 0 {
				t.Errorf("Grafana's pod fails Pod Security restricted: %v", r)
			}
			var declared *layer.Workload
			for i, w := range m.r.declared.Workloads {
				if w.Layer == "monitoring" && w.Name == "Grafana" {
					declared = &m.r.declared.Workloads[i]
				}
			}
			if declared == nil {
				t.Fatal("the monitoring layer declares no Grafana")
			}
			if diff := cmp.Diff(shapeOf(replicasOf(d.Spec.Replicas), d.Spec.Template.Spec, nil), shapeOf(declared.Replicas, declared.Pod, nil)); diff != "" {
				t.Errorf("the monitoring layer declares another Grafana than the chart makes: -rendered, +declared:\n%s", diff)
			}
			for k, v := range declared.Labels {
				if d.Spec.Template.Labels[k] != v {
					t.Errorf("Grafana's pods lack the declared label %s=%s, which the network policies would select by", k, v)
				}
			}
			if a := d.Spec.Template.Spec.AutomountServiceAccountToken; a == nil || *a {
				t.Error("Grafana's pod mounts a ServiceAccount token: it needs none")
			}

			cm := m.one(t, "ConfigMap", "tenant-monitoring-grafana")
			ini, _, _ := unstructured.NestedString(cm.Object, "data", "grafana.ini")
			if !strings.Contains(ini, "[auth.anonymous]\nenabled = true\norg_role = Viewer") {
				t.Errorf("grafana.ini does not make anonymous users Viewers:\n%s", ini)
			}
			ds, _, _ := unstructured.NestedString(cm.Object, "data", "datasources.yaml")
			if !strings.Contains(ds, "url: http://tenant-monitoring-prometheus."+m.namespace+".svc:9090") {
				t.Errorf("the datasource is not the tenant's Prometheus Service:\n%s", ds)
			}
			var env []string
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				env = append(env, e.Name)
			}
			if slices.Contains(env, "GF_SECURITY_ADMIN_PASSWORD") {
				t.Error("Grafana's admin password is a literal variable")
			}
			if !slices.Contains(env, "GF_SECURITY_ADMIN_PASSWORD__FILE") {
				t.Errorf("Grafana reads no admin password file (env %v)", env)
			}
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Secret != nil && v.Secret.SecretName != "tenant-monitoring-credentials" {
					t.Errorf("Grafana mounts Secret %s: only the copied credentials are its", v.Secret.SecretName)
				}
			}
		})
	}
}

// selectorsOf walks an object for every label selector in it: a map under a key ending in
// "elector" that holds matchLabels or matchExpressions; and ServiceMonitors' namespace
// selectors (matchNames, any).
func selectorsOf(t *testing.T, path string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := path + "." + k
			if cm, ok := c.(map[string]any); ok && strings.HasSuffix(k, "elector") {
				_, ml := cm["matchLabels"]
				_, me := cm["matchExpressions"]
				_, mn := cm["matchNames"]
				_, anyNS := cm["any"]
				if ml || me || mn || anyNS || len(cm) == 0 {
					out[p] = cm
					continue
				}
			}
			selectorsOf(t, p, c, out)
		}
	case []any:
		for i, c := range x {
			selectorsOf(t, fmt.Sprintf("%s[%d]", path, i), c, out)
		}
	}
}

// TestMonitoringSelectorsStayWithTheTenant parses every selector in the rendered objects and in
// the function's own monitoring objects of two tenants that share a claim name in different
// namespaces, and shows that none of one tenant's can match the other's namespace, its
// Prometheus rules, AlertmanagerConfigs or monitors, while each matches its own.
func TestMonitoringSelectorsStayWithTheTenant(t *testing.T) {
	a := renderMonitoring(t, tenant{name: "team-shop/shop", claim: "monitoring.yaml"})
	b := renderMonitoring(t, tenant{name: "team-other/shop", claim: "monitoring.yaml", namespace: "team-other"})
	if a.namespace == b.namespace {
		t.Fatalf("two tenants share host namespace %s", a.namespace)
	}
	for _, pair := range []struct{ self, other monitoring }{{a, b}, {b, a}} {
		self, other := pair.self, pair.other
		selfNS, otherNS := namespaceLabels(t, self), namespaceLabels(t, other)
		otherObjects := monitoredObjectLabels(t, other)
		selfObjects := monitoredObjectLabels(t, self)
		n := 0
		for _, o := range self.objects {
			sels := map[string]any{}
			selectorsOf(t, o.GetKind()+"/"+o.GetName(), o.Object, sels)
			for path, raw := range sels {
				n++
				sel := raw.(map[string]any)
				if _, ok := sel["matchNames"]; ok || sel["any"] != nil {
					names, _, _ := unstructured.NestedStringSlice(sel, "matchNames")
					if sel["any"] == true || slices.Contains(names, other.namespace) {
						t.Errorf("%s: %s selects namespace %s of another tenant", self.namespace, path, other.namespace)
					}
					continue
				}
				var ls metav1.LabelSelector
				if err := runtimeInto(sel, &ls); err != nil {
					t.Fatalf("%s: %s is not a label selector: %v", self.namespace, path, err)
				}
				s, err := metav1.LabelSelectorAsSelector(&ls)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if s.Empty() {
					t.Errorf("%s: %s is empty: it selects everything", self.namespace, path)
					continue
				}
				if strings.HasSuffix(path, "NamespaceSelector") || strings.HasSuffix(path, "namespaceSelector") {
					if s.Matches(otherNS) {
						t.Errorf("%s: %s (%s) matches the other tenant's namespace %s", self.namespace, path, s, other.namespace)
					}
					if !s.Matches(selfNS) {
						t.Errorf("%s: %s (%s) does not match its own namespace", self.namespace, path, s)
					}
					continue
				}
				for name, l := range otherObjects {
					if s.Matches(l) && !strings.Contains(path, "spec.selector") {
						t.Errorf("%s: %s (%s) matches the other tenant's %s", self.namespace, path, s, name)
					}
				}
				// What the Prometheus and Alertmanager pick up (spec.<x>Selector) must find the
				// tenant's own; their pods' affinity terms select pods of their own namespace.
				if (strings.HasPrefix(path, "Prometheus/") || strings.HasPrefix(path, "Alertmanager/")) && !strings.Contains(path, "affinity") {
					matched := false
					for _, l := range selfObjects {
						matched = matched || s.Matches(l)
					}
					if !matched {
						t.Errorf("%s: %s (%s) matches none of the tenant's own objects", self.namespace, path, s)
					}
				}
			}
		}
		if n < 12 {
			t.Errorf("%s: only %d selectors found: the walk misses some", self.namespace, n)
		}
	}
}

// namespaceLabels are a tenant's host namespace's labels as the Namespace layer composes them,
// with the name label Kubernetes adds.
func namespaceLabels(t *testing.T, m monitoring) labels.Set {
	t.Helper()
	ns := m.r.desired["namespace"].GetResource().AsMap()
	l, _, _ := unstructured.NestedStringMap(ns, "spec", "forProvider", "manifest", "metadata", "labels")
	out := labels.Set(maps.Clone(l))
	out["kubernetes.io/metadata.name"] = m.namespace
	return out
}

// monitoredObjectLabels are the labels of what a tenant's Prometheus and Alertmanager select:
// the function's AlertmanagerConfig and PrometheusRule and the chart's ServiceMonitors.
func monitoredObjectLabels(t *testing.T, m monitoring) map[string]labels.Set {
	t.Helper()
	out := map[string]labels.Set{}
	for _, name := range []string{"monitoring-alerts", "monitoring-rules"} {
		obj := m.r.desired[name].GetResource().AsMap()
		l, _, _ := unstructured.NestedStringMap(obj, "spec", "forProvider", "manifest", "metadata", "labels")
		out[name] = l
	}
	for _, o := range m.all("ServiceMonitor") {
		out["ServiceMonitor/"+o.GetName()] = o.GetLabels()
	}
	return out
}

func runtimeInto(m map[string]any, v any) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(raw, v)
}
