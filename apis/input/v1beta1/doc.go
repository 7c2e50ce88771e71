// Package v1beta1 holds the function's Input: the platform's settings and policy, set once by a
// platform engineer in the Composition's pipeline step. `make generate` writes its CRD to
// package/input/ so Crossplane (and editors) can validate it.
//
// +kubebuilder:object:generate=true
// +groupName=tenantcluster.fn.crossplane.io
// +versionName=v1beta1
package v1beta1

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and version of the Input.
const (
	Group   = "tenantcluster.fn.crossplane.io"
	Version = "v1beta1"
	Kind    = "Input"
)

// SchemeGroupVersion is the group and version of the Input.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}
