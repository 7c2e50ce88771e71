package v1alpha1

// SecretKeyRef is one key of a Secret in the claim's namespace: a log output's or an alert
// receiver's credential. The platform copies the keys a claim names into the tenant's host
// namespace, where the logging-operator or Alertmanager reads them; the value never passes
// through the composition.
type SecretKeyRef struct {
	// Name of the Secret, in the claim's namespace.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
	// Key in the Secret's data.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}
