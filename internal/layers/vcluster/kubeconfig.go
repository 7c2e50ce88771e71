package vcluster

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// How a virtual cluster's kubeconfig travels, copied by the providers rather than by the
// function wherever Crossplane allows it:
//
//  1. The vcluster syncer writes kubeconfig Secrets on the host cluster, in the tenant's host
//     namespace (exportKubeConfig.additionalSecrets), one per URL the API server is reached by.
//  2. The vcluster Release copies them into its connection secret on the Crossplane cluster
//     (spec.connectionDetails, read through the host ProviderConfig; the syncer, not Helm,
//     writes them, hence skipPartOfReleaseCheck).
//  3. The tenant ProviderConfigs read that connection secret. The tenant gets it directly on a v2
//     XR, because a namespaced Release writes its connection secret into the tenant's own
//     namespace; on a legacy XR through the claim's connection secret, which Crossplane fills
//     only from the function's response (xrConnectionDetails, the one copy the function makes).

// kubeconfigSecretKey is the key of the kubeconfig in the Secrets the syncer writes; the
// Release's connection secret keys are the tenant model's (tenant.KeyKubeconfig, ...).
const kubeconfigSecretKey = "config"

// kubeconfigSecret is one kubeconfig the syncer writes on the host, and where it ends up in the
// Release's connection secret.
type kubeconfigSecret struct {
	values kubeconfigSecretValues
	key    string
}

// kubeconfigSecrets are the kubeconfigs the virtual cluster exports: always the in-cluster one,
// and the external one when the API server is exposed. The first is the tenant's.
func kubeconfigSecrets(t *tenant.Tenant) []kubeconfigSecret {
	internal := kubeconfigSecret{
		values: kubeconfigSecretValues{
			Name: "vc-" + t.ReleaseName + "-internal", Namespace: t.HostNamespace,
			Server: t.InternalEndpoint(), Context: t.ReleaseName,
		},
		key: tenant.KeyKubeconfig,
	}
	if !t.Exposure.Exposed() {
		return []kubeconfigSecret{internal}
	}
	internal.key = tenant.KeyKubeconfigInternal
	external := kubeconfigSecret{
		values: kubeconfigSecretValues{
			Name: "vc-" + t.ReleaseName + "-external", Namespace: t.HostNamespace,
			Server: t.ExternalEndpoint(), Context: t.ReleaseName,
		},
		key: tenant.KeyKubeconfig,
	}
	return []kubeconfigSecret{external, internal}
}

// exportKubeConfigValues asks the syncer to write the kubeconfig Secrets.
func exportKubeConfig(t *tenant.Tenant) exportKubeConfigValues {
	v := exportKubeConfigValues{}
	for _, s := range kubeconfigSecrets(t) {
		v.AdditionalSecrets = append(v.AdditionalSecrets, s.values)
	}
	return v
}

// releaseConnectionDetails copies the exported kubeconfigs into the Release's connection secret.
func releaseConnectionDetails(t *tenant.Tenant) []any {
	out := []any{}
	for _, s := range kubeconfigSecrets(t) {
		out = append(out, map[string]any{
			"apiVersion":             "v1",
			"kind":                   "Secret",
			"name":                   s.values.Name,
			"namespace":              s.values.Namespace,
			"fieldPath":              "data." + kubeconfigSecretKey,
			"toConnectionSecretKey":  s.key,
			"skipPartOfReleaseCheck": true,
		})
	}
	return out
}

// writeConnectionSecretToRef is the Release's spec.writeConnectionSecretToRef in its scope's
// shape: a namespaced managed resource writes into its own namespace.
func writeConnectionSecretToRef(t *tenant.Tenant) map[string]any {
	ref := t.ConnectionSecretRef()
	if t.Scope == tenant.ScopeNamespaced {
		return map[string]any{"name": ref.Name}
	}
	return map[string]any{"name": ref.Name, "namespace": ref.Namespace}
}

// xrConnectionDetails are a legacy XR's connection details: the tenant's kubeconfig, which
// Crossplane writes to the claim's connection secret. Crossplane sends the Release's connection
// details to the function and takes the XR's only from its response, so this is the one place
// the kubeconfig passes through the function; it is copied as it is, never logged, never put
// in status. A namespaced XR has no connection details: its Release writes the Secret into the
// tenant's namespace itself.
func xrConnectionDetails(t *tenant.Tenant, observed compose.Observed) resource.ConnectionDetails {
	if t.Scope == tenant.ScopeNamespaced {
		return nil
	}
	oc, ok := observed[compose.ResourceVCluster]
	if !ok || len(oc.ConnectionDetails[tenant.KeyKubeconfig]) == 0 {
		return nil
	}
	return resource.ConnectionDetails{tenant.KeyKubeconfig: oc.ConnectionDetails[tenant.KeyKubeconfig]}
}
