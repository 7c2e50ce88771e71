package compose

import "github.com/crossplane/function-sdk-go/resource"

// Dependency says that By uses Of, both named by their pipeline names: Crossplane must not
// delete Of while By exists. When a tenant is deleted, Crossplane deletes every composed
// resource at once; the Usages composed from these make the deletion happen in order (what runs
// inside the virtual cluster, then the virtual cluster, then its namespace), so nothing is left
// stuck waiting for a cluster that is already gone. Layers name each other's resources only
// through the shared names below.
type Dependency struct {
	By, Of resource.Name
}

// Pipeline names of the resources other layers order their deletion against: the tenant's host
// Namespace and the vcluster Release.
const (
	ResourceNamespace resource.Name = "namespace"
	ResourceVCluster  resource.Name = "vcluster"
)
