// Package pipeline runs the layers in order on one tenant, collects what they return, orders
// the tenant's deletion through Usages and hands every declared workload to the cross-cutting
// checks. Adding a layer is writing its package and adding one line to layers.
package pipeline

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/checks"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/logging"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/monitoring"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/namespace"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/tenanttarget"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/usages"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/vcluster"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// layers are the layers, in order: the order of their conditions on the claim.
var layers = []struct {
	name string
	run  layer.Func
}{
	{"namespace", namespace.Layer},
	{"vcluster", vcluster.Layer},
	{"tenant-target", tenanttarget.Layer},
	{"rancher", rancher.Layer},
	{"logging", logging.Layer},
	{"monitoring", monitoring.Layer},
}

// Result is everything the layers composed for one tenant.
type Result struct {
	// Desired are the composed resources, the Usages last.
	Desired    []compose.Desired
	Conditions []compose.Condition
	Status     v1alpha1.TenantClusterStatus
	// ConnectionDetails are the XR's.
	ConnectionDetails resource.ConnectionDetails
	// Workloads are every layer's declared workloads, Rules the host namespace's rules, and
	// Violations what the checks found wrong with them.
	Workloads  []layer.Workload
	Rules      layer.HostRules
	Violations []checks.Violation
}

// Run runs every layer on the tenant. It records the facts the layers share first (the
// exported kubeconfig), so that the layers themselves never read each other's resources.
func Run(t *tenant.Tenant, observed compose.Observed) (Result, error) {
	t.SetKubeconfigExported(vcluster.KubeconfigExported(observed))

	var r Result
	var deps []compose.Dependency
	var status []func(*v1alpha1.TenantClusterStatus)
	for _, l := range layers {
		out, err := l.run(t, observed)
		if err != nil {
			return Result{}, err
		}
		r.Desired = append(r.Desired, out.Resources...)
		r.Conditions = append(r.Conditions, out.Conditions...)
		deps = append(deps, out.Dependencies...)
		if out.Status != nil {
			status = append(status, out.Status)
		}
		for _, w := range out.Workloads {
			w.Layer = l.name
			r.Workloads = append(r.Workloads, w)
		}
		r.Rules.Merge(out.Rules)
		for k, v := range out.ConnectionDetails {
			if r.ConnectionDetails == nil {
				r.ConnectionDetails = resource.ConnectionDetails{}
			}
			r.ConnectionDetails[k] = v
		}
	}

	// A name composed twice is the same resource (a principal named twice in a claim gets the
	// same binding): the last one stands, as in the response.
	byName := make(map[resource.Name]compose.Desired, len(r.Desired))
	for _, d := range r.Desired {
		byName[d.Name] = d
	}
	u, err := usages.Compose(t, deps, byName, observed)
	if err != nil {
		return Result{}, err
	}
	r.Desired = append(r.Desired, u...)

	for _, s := range status {
		s(&r.Status)
	}
	r.Status.Phase = phaseOf(r.Conditions)
	r.Violations = checks.Run(r.Rules, r.Workloads)
	return r, nil
}

// phaseOf summarises the layers: Failed if any failed, Ready if all are ready.
func phaseOf(conds []compose.Condition) v1alpha1.Phase {
	phase := v1alpha1.PhaseReady
	for _, c := range conds {
		if c.Failed {
			return v1alpha1.PhaseFailed
		}
		if !c.Status {
			phase = v1alpha1.PhaseProvisioning
		}
	}
	return phase
}
