package compose

import "slices"

// Condition is a layer's condition on the XR and the claim. Crossplane owns Ready and Synced;
// each layer reports its own condition type (VClusterReady, ...).
type Condition struct {
	Type    string
	Status  bool
	Reason  string
	Message string
	// Failed marks a layer that will not become ready without someone acting.
	Failed bool
}

// ReasonOff is the reason of a layer's condition once the layer is off.
const ReasonOff = "Off"

// Off is a layer's conditions while it is off: none for a tenant that never had the layer, and
// for one that had it, its condition True with reason Off and the message, since Crossplane
// keeps a condition the function stops returning.
func Off(observedConditions []string, typ, message string) []Condition {
	if !slices.Contains(observedConditions, typ) {
		return nil
	}
	return []Condition{{Type: typ, Status: true, Reason: ReasonOff, Message: message}}
}
