package vcluster

import (
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pod Security inside the virtual cluster.
//
// vcluster's own policies.podSecurityStandard holds every virtual pod to one level: it rewrites
// the enforce label of every virtual namespace and checks each pod against that level before
// syncing it (vcluster v0.36.1 pkg/controllers/podsecurity, pkg/controllers/resources/pods),
// with no exemption. Rancher's agents (cattle-cluster-agent, fleet-agent) fail "restricted", so
// a registered tenant at "restricted" would never connect. Instead the function configures the
// virtual API server's own PodSecurity admission plugin, the one every Kubernetes API server
// runs: its defaults are the tenant's level, and with Rancher its two namespaces are exempt.
// The host namespace, which judges every synced pod again, stays the hard boundary.

// The admission configuration's ConfigMap in the host namespace (rendered by the chart from
// experimental.deploy.host.manifests) and where the control plane reads it.
const (
	podSecurityVolume    = "tenantcluster-pod-security"
	podSecurityMountPath = "/etc/tenantcluster/pod-security"
	podSecurityFile      = "admission.yaml"
)

// podSecurityConfigMapName names the admission configuration's ConfigMap after the release.
func podSecurityConfigMapName(t *tenant.Tenant) string {
	return t.ReleaseName + "-pod-security"
}

// admissionConfiguration is the virtual API server's admission configuration: the PodSecurity
// plugin at the tenant's level by default (enforce, audit and warn), every Kubernetes version's
// checks ("latest").
func admissionConfiguration(t *tenant.Tenant) map[string]any {
	level := string(t.PodSecurity)
	return map[string]any{
		"apiVersion": "apiserver.config.k8s.io/v1",
		"kind":       "AdmissionConfiguration",
		"plugins": []any{map[string]any{
			"name": "PodSecurity",
			"configuration": map[string]any{
				"apiVersion": "pod-security.admission.config.k8s.io/v1",
				"kind":       "PodSecurityConfiguration",
				"defaults": map[string]any{
					"enforce": level, "enforce-version": "latest",
					"audit": level, "audit-version": "latest",
					"warn": level, "warn-version": "latest",
				},
				"exemptions": map[string]any{
					"usernames":      []any{},
					"runtimeClasses": []any{},
					"namespaces":     t.VirtualPodSecurityExemptions(),
				},
			},
		}},
	}
}

// podSecurityManifests is the ConfigMap holding the admission configuration, as the chart's
// experimental.deploy.host.manifests (plain manifests, not templated). The chart hashes all
// values into the control plane's pod annotations, so a changed level restarts the API server,
// which reads the file only when it starts.
func podSecurityManifests(t *tenant.Tenant) (string, error) {
	config, err := admissionConfigurationYAML(t)
	if err != nil {
		return "", err
	}
	cm, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      podSecurityConfigMapName(t),
			"namespace": t.HostNamespace,
			"labels":    map[string]any{tenant.LabelManagedBy: tenant.ManagedBy, tenant.LabelTenant: t.ID},
		},
		"data": map[string]any{podSecurityFile: config},
	})
	return string(cm), err
}

// admissionConfigurations keeps each admission configuration rendered once: it depends only on
// the level and the exemptions (six possible files), and rendering it through YAML on every
// call was a tenth of a call's time.
var admissionConfigurations sync.Map // "<level>/<exemptions>" -> string

func admissionConfigurationYAML(t *tenant.Tenant) (string, error) {
	key := string(t.PodSecurity) + "/" + strings.Join(t.VirtualPodSecurityExemptions(), ",")
	if cached, ok := admissionConfigurations.Load(key); ok {
		return cached.(string), nil
	}
	config, err := yaml.Marshal(admissionConfiguration(t))
	if err != nil {
		return "", err
	}
	admissionConfigurations.Store(key, string(config))
	return string(config), nil
}
