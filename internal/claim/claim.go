// Package claim turns a TenantCluster claim, as a tenant writes it, into the composite resource
// Crossplane would create for it. `make render` and the render tests need the XR, because
// `crossplane render` (like the function) only ever sees composite resources.
package claim

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// The kinds and API versions of the TenantCluster API.
const (
	LegacyAPIVersion     = "platform.tenantcluster.io/v1alpha1"
	NamespacedAPIVersion = "namespaced.platform.tenantcluster.io/v1alpha1"
	ClaimKind            = "TenantCluster"
	XRKind               = "XTenantCluster"
)

// ToXR returns the composite resource for obj. A legacy claim (platform.tenantcluster.io
// TenantCluster) becomes the cluster-scoped XTenantCluster Crossplane would create, named like
// the claim and labelled with it; an XR (legacy or Crossplane v2 namespaced) is returned as is.
func ToXR(obj map[string]any) (map[string]any, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	switch {
	case apiVersion == LegacyAPIVersion && kind == XRKind, apiVersion == NamespacedAPIVersion && kind == ClaimKind:
		return obj, nil
	case apiVersion != LegacyAPIVersion || kind != ClaimKind:
		return nil, fmt.Errorf("not a TenantCluster: apiVersion %q, kind %q", apiVersion, kind)
	}

	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		return nil, fmt.Errorf("the TenantCluster claim has no metadata.name")
	}
	namespace, _ := meta["namespace"].(string)
	if namespace == "" {
		namespace = "default" // where kubectl would put it
	}
	spec, _ := obj["spec"].(map[string]any)
	xrSpec := map[string]any{}
	for k, v := range spec {
		xrSpec[k] = v
	}
	if _, ok := xrSpec["writeConnectionSecretToRef"]; ok {
		// Crossplane writes the XR's connection secret to its own namespace and copies it to
		// the Secret the claim names.
		xrSpec["writeConnectionSecretToRef"] = map[string]any{"name": name + "-connection", "namespace": CrossplaneNamespace}
	}
	xrSpec["claimRef"] = map[string]any{
		"apiVersion": LegacyAPIVersion, "kind": ClaimKind, "name": name, "namespace": namespace,
	}
	return map[string]any{
		"apiVersion": LegacyAPIVersion,
		"kind":       XRKind,
		"metadata": map[string]any{
			"name": name,
			"labels": map[string]any{
				"crossplane.io/claim-name":      name,
				"crossplane.io/claim-namespace": namespace,
			},
		},
		"spec": xrSpec,
	}, nil
}

// CrossplaneNamespace is where Crossplane keeps a claimed XR's connection secret.
const CrossplaneNamespace = "crossplane-system"

// ReadXR reads a claim or XR from a YAML file and returns its composite resource.
func ReadXR(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // reading the file the caller names is the point
	if err != nil {
		return nil, err
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("cannot parse %s: %w", path, err)
	}
	xr, err := ToXR(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return xr, nil
}

// IsNamespaced reports whether the XR is a Crossplane v2 namespaced TenantCluster.
func IsNamespaced(xr map[string]any) bool {
	return xr["apiVersion"] == NamespacedAPIVersion
}
