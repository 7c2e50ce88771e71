// Package layer is the contract every layer of the pipeline keeps. A layer is a pure function
// of the tenant model and the observed state: no network, no API calls, no writes to the
// tenant. It returns everything the pipeline needs in one Output, and declares the workloads it
// runs in the tenant's host namespace so that the cross-cutting rules (internal/checks) can see
// them all at once.
package layer

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Func is a layer. An error is one the tenant cannot fix (a broken Input, a bug): the pipeline
// turns it into a Fatal result, which applies nothing and deletes nothing.
type Func func(t *tenant.Tenant, observed compose.Observed) (Output, error)

// Output is what a layer returns.
type Output struct {
	// Resources are the layer's desired composed resources, each with its readiness. A layer
	// never drops a resource because something was not observed.
	Resources []compose.Desired
	// Conditions are the layer's conditions on the XR and the claim (at most one per layer
	// today); the phase summarises them.
	Conditions []compose.Condition
	// Status writes the layer's part of the XR status.
	Status func(*v1alpha1.TenantClusterStatus)
	// Dependencies are deletion orders from the layer's resources to others (by pipeline name):
	// each becomes a Usage.
	Dependencies []compose.Dependency
	// Workloads are the pods the layer runs in the tenant's host namespace.
	Workloads []Workload
	// Rules are the rules the layer puts on the host namespace, for the cross-cutting checks.
	Rules HostRules
	// ConnectionDetails are the XR's connection details the layer provides (legacy claims only).
	ConnectionDetails resource.ConnectionDetails
}
