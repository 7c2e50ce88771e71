// Package v1alpha1 holds the TenantCluster API: the claim a tenant applies and the composite
// resource Crossplane builds from it. These Go types are the source of truth; `make generate`
// derives the XRDs in apis/definition.yaml and examples/v2/definition.yaml from them.
//
// +kubebuilder:object:generate=true
// +groupName=platform.tenantcluster.io
// +versionName=v1alpha1
package v1alpha1

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and version of the TenantCluster API.
const (
	Group   = "platform.tenantcluster.io"
	Version = "v1alpha1"
)

// SchemeGroupVersion is the group and version of the legacy (cluster-scoped) XR.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}
