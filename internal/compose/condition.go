package compose

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
