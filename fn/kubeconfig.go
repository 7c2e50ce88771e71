package fn

import (
	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
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

// Connection secret keys of the vcluster Release, and of the XR.
const (
	// keyKubeconfig is the tenant's kubeconfig: the external URL when exposed, else in-cluster.
	keyKubeconfig = "kubeconfig"
	// keyKubeconfigInternal is the in-cluster kubeconfig, present only when the tenant's is
	// external.
	keyKubeconfigInternal = "kubeconfig-internal"
	// kubeconfigSecretKey is the key of the kubeconfig in the Secrets the syncer writes.
	kubeconfigSecretKey = "config"
)

// kubeconfigSecret is one kubeconfig the syncer writes on the host, and where it ends up in the
// Release's connection secret.
type kubeconfigSecret struct {
	values kubeconfigSecretValues
	key    string
}

// kubeconfigSecrets are the kubeconfigs the virtual cluster exports: always the in-cluster one,
// and the external one when the API server is exposed. The first is the tenant's.
func (t *tenant) kubeconfigSecrets() []kubeconfigSecret {
	internal := kubeconfigSecret{
		values: kubeconfigSecretValues{
			Name: "vc-" + t.releaseName + "-internal", Namespace: t.hostNamespace,
			Server: t.internalEndpoint(), Context: t.releaseName,
		},
		key: keyKubeconfig,
	}
	if !t.exposure.exposed() {
		return []kubeconfigSecret{internal}
	}
	internal.key = keyKubeconfigInternal
	external := kubeconfigSecret{
		values: kubeconfigSecretValues{
			Name: "vc-" + t.releaseName + "-external", Namespace: t.hostNamespace,
			Server: t.externalEndpoint(), Context: t.releaseName,
		},
		key: keyKubeconfig,
	}
	return []kubeconfigSecret{external, internal}
}

// exportKubeConfigValues asks the syncer to write the kubeconfig Secrets.
func (t *tenant) exportKubeConfigValues() exportKubeConfigValues {
	v := exportKubeConfigValues{}
	for _, s := range t.kubeconfigSecrets() {
		v.AdditionalSecrets = append(v.AdditionalSecrets, s.values)
	}
	return v
}

// releaseConnectionDetails copies the exported kubeconfigs into the Release's connection secret.
func (t *tenant) releaseConnectionDetails() []any {
	out := []any{}
	for _, s := range t.kubeconfigSecrets() {
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

// connectionSecretRef is where the Release writes its connection secret: the platform's
// namespace for a legacy XR (tenants get their copy through the claim), the tenant's own
// namespace for a namespaced XR.
func (t *tenant) connectionSecretRef() v1alpha1.SecretReference {
	if t.scope == scopeNamespaced {
		return v1alpha1.SecretReference{Name: t.kubeconfigSecretName(), Namespace: t.xrNamespace}
	}
	return v1alpha1.SecretReference{Name: t.composedName("kubeconfig"), Namespace: t.input.Kubeconfig.SecretNamespace}
}

// kubeconfigSecretName is the name of a namespaced tenant's kubeconfig Secret in its own
// namespace: readable when the XR's name allows, else the unique composed name.
func (t *tenant) kubeconfigSecretName() string {
	if name := t.name + "-kubeconfig"; len(name) <= maxLabelLength && cleanLabel(name) == name {
		return name
	}
	return t.composedName("kubeconfig")
}

// providerConfigKey is the connection secret key the tenant ProviderConfigs read: the
// in-cluster kubeconfig unless the platform's Crossplane reaches virtual clusters from outside.
func (t *tenant) providerConfigKey() string {
	if t.exposure.exposed() && t.input.Targets.Tenant.Endpoint != inputv1beta1.TenantEndpointExternal {
		return keyKubeconfigInternal
	}
	return keyKubeconfig
}

// writeConnectionSecretToRef is the Release's spec.writeConnectionSecretToRef in its scope's
// shape: a namespaced managed resource writes into its own namespace.
func (t *tenant) writeConnectionSecretToRef() map[string]any {
	ref := t.connectionSecretRef()
	if t.scope == scopeNamespaced {
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
func (t *tenant) xrConnectionDetails(observed observedState) resource.ConnectionDetails {
	if t.scope == scopeNamespaced {
		return nil
	}
	oc, ok := observed[resourceVCluster]
	if !ok || len(oc.ConnectionDetails[keyKubeconfig]) == 0 {
		return nil
	}
	return resource.ConnectionDetails{keyKubeconfig: oc.ConnectionDetails[keyKubeconfig]}
}
