package fn

import (
	"encoding/json"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Pipeline names of the agent install inside the virtual cluster (tenant target).
const (
	resourceAgentNamespace      resource.Name = "agent-ns"
	resourceAgentFleetNamespace resource.Name = "agent-fleet-ns"
	resourceAgentImport         resource.Name = "agent-import"
	resourceAgentCA             resource.Name = "agent-ca"
	resourceAgentAccount        resource.Name = "agent-sa"
	resourceAgentBinding        resource.Name = "agent-binding"
	resourceAgentInstall        resource.Name = "agent-install"
)

// Names inside the virtual cluster. Rancher's agent runs in cattle-system and its Fleet agent in
// cattle-fleet-system; the installer lives beside the agent so that deregistration removes both.
const (
	agentNamespace      = "cattle-system"
	agentFleetNamespace = "cattle-fleet-system"
	installerName       = "tenantcluster-rancher-installer"
	importSecretName    = "tenantcluster-rancher-import"
	caConfigMapName     = "tenantcluster-rancher-ca"
	caMountPath         = "/etc/tenantcluster/rancher-ca"
	// importKeyManifestURL and importKeyToken are the keys of the import Secret: the full
	// import address (Rancher before 2.15) or the token alone (2.15 and later).
	importKeyManifestURL = "manifestUrl"
	importKeyToken       = "token"
)

// installerTTLSeconds removes a finished installer Job after an hour; provider-kubernetes then
// creates it again, so the import manifest is re-applied (it is idempotent) and a failed install
// is retried without anyone acting.
const (
	installerTTLSeconds int64 = 3600
	installerRetryText        = "an hour"
	installerUID        int64 = 65532
)

// agentInstall composes what installs Rancher's agent inside the virtual cluster: Rancher's
// namespaces (at the Pod Security level the agent needs), a Secret the import address is
// patched into from the Crossplane cluster, the installer's ServiceAccount bound to
// cluster-admin inside the virtual cluster only, and the installer Job. Nothing here holds a
// Rancher credential in its spec, and nothing runs with more than the virtual cluster's own
// admin rights; no one execs into a pod.
func (t *tenant) agentInstall(f rancherFacts, observed observedState) (resources []desiredResource, namespace desiredResource, job string) {
	ready := func(name resource.Name) bool { return isReady(observed.get(name)) }
	ns := desiredResource{name: resourceAgentNamespace, object: t.tenantObject("agent-ns", t.agentNamespaceManifest(agentNamespace), nil), ready: ready(resourceAgentNamespace)}
	out := []desiredResource{
		ns,
		{name: resourceAgentFleetNamespace, object: t.tenantObject("agent-fleet-ns", t.agentNamespaceManifest(agentFleetNamespace), nil), ready: ready(resourceAgentFleetNamespace)},
		{name: resourceAgentImport, object: t.importSecret(f), ready: ready(resourceAgentImport)},
		{name: resourceAgentAccount, object: t.tenantObject("agent-sa", map[string]any{
			"apiVersion": "v1",
			"kind":       "ServiceAccount",
			"metadata":   map[string]any{"name": installerName, "namespace": agentNamespace},
		}, nil), ready: ready(resourceAgentAccount)},
		{name: resourceAgentBinding, object: t.tenantObject("agent-binding", map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "ClusterRoleBinding",
			"metadata":   map[string]any{"name": installerName},
			// The import manifest creates cluster roles and namespaces: the installer needs
			// the virtual cluster's cluster-admin, which reaches nothing outside it.
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": installerName, "namespace": agentNamespace}},
		}, nil), ready: ready(resourceAgentBinding)},
	}
	if ca := t.input.Rancher.CABundle; ca != "" {
		out = append(out, desiredResource{name: resourceAgentCA, object: t.tenantObject("agent-ca", map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata":   map[string]any{"name": caConfigMapName, "namespace": agentNamespace},
			"data":       map[string]any{"ca.crt": ca},
		}, nil), ready: ready(resourceAgentCA)})
	}
	// The Job counts as ready while the agent is connected: a finished Job is removed after
	// its TTL and created again, and that must not make the tenant look unready.
	manifest := t.agentJob(f)
	out = append(out, desiredResource{name: resourceAgentInstall, object: t.tenantObject("agent-install", manifest, nil), ready: f.connected})
	name, _ := manifest["metadata"].(map[string]any)["name"].(string)
	return out, ns, name
}

// agentNamespaceManifest is one of Rancher's namespaces in the virtual cluster, labelled with the
// Pod Security level Rancher's agents need (baseline, or the tenant's level if that is looser):
// the virtual cluster enforces the tenant's level on every other namespace.
func (t *tenant) agentNamespaceManifest(name string) map[string]any {
	level := t.podSecurity
	if level == v1alpha1.PodSecurityRestricted {
		level = v1alpha1.PodSecurityBaseline
	}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata": map[string]any{
			"name": name,
			"labels": map[string]any{
				labelPSAEnforce:        string(level),
				labelPSAEnforceVersion: "latest",
				labelManagedBy:         managedBy,
			},
		},
	}
}

// importSecret is the Secret the installer reads the import address (or token) from. Its data
// is patched in by provider-kubernetes from the registration token's connection Secret on the
// Crossplane cluster, so the function never sees it.
func (t *tenant) importSecret(f rancherFacts) map[string]any {
	key := importKeyManifestURL
	if f.tokenSource == tokenSourceSecret {
		key = importKeyToken
	}
	ref := t.importSecretRef()
	ns, _ := ref["namespace"].(string)
	if ns == "" {
		ns = t.xrNamespace
	}
	obj := t.tenantObject("agent-import", map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": importSecretName, "namespace": agentNamespace},
		"type":       "Opaque",
	}, nil)
	setSpec(obj, "references", []any{map[string]any{
		"patchesFrom": map[string]any{
			"apiVersion": "v1",
			"kind":       "Secret",
			"name":       ref["name"],
			"namespace":  ns,
			"fieldPath":  "data." + key,
		},
		"toFieldPath": "data." + key,
	}})
	return obj
}

// importSecretRef is where the registration token Object writes its connection Secret: beside
// the kubeconfig Secret (the platform's namespace, or a namespaced XR's own).
func (t *tenant) importSecretRef() map[string]any {
	name := t.composedName("rancher-import")
	if t.scope == scopeNamespaced {
		return map[string]any{"name": name}
	}
	return map[string]any{"name": name, "namespace": t.input.Kubeconfig.SecretNamespace}
}

// agentJob is the installer: kubectl applies Rancher's import manifest. kubectl fetches the
// manifest itself and the kubelet expands $(VAR) in its arguments, so no shell is needed and the
// address stays in the Secret. The Job's name carries a hash of its spec: a Job's template
// cannot change, so a changed installer is a new Job.
func (t *tenant) agentJob(f rancherFacts) map[string]any {
	env := []any{map[string]any{"name": "HOME", "value": "/tmp"}}
	secretEnv := func(name, key string) map[string]any {
		return map[string]any{"name": name, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": importSecretName, "key": key}}}
	}
	var address string
	if f.tokenSource == tokenSourceSecret {
		// Rancher 2.15 and later keep the token in a Secret; the import address is Rancher's
		// /v3/import/<token>_<cluster id>.yaml.
		env = append(env,
			map[string]any{"name": "RANCHER_URL", "value": t.rancherURL()},
			map[string]any{"name": "RANCHER_CLUSTER_ID", "value": f.clusterID},
			secretEnv("RANCHER_TOKEN", importKeyToken))
		address = "$(RANCHER_URL)/v3/import/$(RANCHER_TOKEN)_$(RANCHER_CLUSTER_ID).yaml"
	} else {
		env = append(env, secretEnv("RANCHER_IMPORT_URL", importKeyManifestURL))
		address = "$(RANCHER_IMPORT_URL)"
	}
	mounts := []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}}
	volumes := []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}
	if t.input.Rancher.CABundle != "" {
		// Go programs such as kubectl read extra trusted roots from SSL_CERT_FILE.
		env = append(env, map[string]any{"name": "SSL_CERT_FILE", "value": caMountPath + "/ca.crt"})
		mounts = append(mounts, map[string]any{"name": "rancher-ca", "mountPath": caMountPath, "readOnly": true})
		volumes = append(volumes, map[string]any{"name": "rancher-ca", "configMap": map[string]any{"name": caConfigMapName}})
	}
	container := map[string]any{
		"name":         "import",
		"image":        t.input.Rancher.Agent.InstallerImage,
		"command":      []any{"kubectl"},
		"args":         []any{"apply", "-f", address},
		"env":          env,
		"volumeMounts": mounts,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "10m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "256Mi"},
		},
		// The Pod Security Standard "restricted", whatever the tenant's level.
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
	}
	spec := map[string]any{
		"backoffLimit":            int64(4),
		"ttlSecondsAfterFinished": installerTTLSeconds,
		"template": map[string]any{
			"spec": map[string]any{
				"serviceAccountName": installerName,
				"restartPolicy":      "Never",
				"securityContext": map[string]any{
					"runAsNonRoot":   true,
					"runAsUser":      installerUID,
					"runAsGroup":     installerUID,
					"seccompProfile": map[string]any{"type": "RuntimeDefault"},
				},
				"containers": []any{container},
				"volumes":    volumes,
			},
		},
	}
	return map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": jobName(spec), "namespace": agentNamespace, "labels": map[string]any{labelManagedBy: managedBy}},
		"spec":       spec,
	}
}

// jobName names the installer Job after a hash of its spec. encoding/json sorts map keys, so
// the same spec always gives the same name.
func jobName(spec map[string]any) string {
	b, err := json.Marshal(spec)
	if err != nil {
		return "rancher-import"
	}
	return "rancher-import-" + shortHash(string(b))
}
