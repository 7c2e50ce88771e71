package fn

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// layerCondition is a layer's condition on the XR and the claim. Crossplane owns Ready and
// Synced; each layer reports its own condition type (VClusterReady, ...).
type layerCondition struct {
	typ     string
	status  bool
	reason  string
	message string
	// failed marks a layer that will not become ready without someone acting.
	failed bool
}

// setConditions writes the layers' conditions to the response, targeted at XR and claim.
func setConditions(rsp *fnv1.RunFunctionResponse, conds []layerCondition) {
	for _, c := range conds {
		var opt *response.ConditionOption
		if c.status {
			opt = response.ConditionTrue(rsp, c.typ, c.reason)
		} else {
			opt = response.ConditionFalse(rsp, c.typ, c.reason)
		}
		opt.WithMessage(c.message).TargetCompositeAndClaim()
	}
}

// phaseOf summarises the layers: Failed if any failed, Ready if all are ready.
func phaseOf(conds []layerCondition) v1alpha1.Phase {
	phase := v1alpha1.PhaseReady
	for _, c := range conds {
		if c.failed {
			return v1alpha1.PhaseFailed
		}
		if !c.status {
			phase = v1alpha1.PhaseProvisioning
		}
	}
	return phase
}
