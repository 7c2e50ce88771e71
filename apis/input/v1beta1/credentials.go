package v1beta1

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
)

// CredentialCopier configures a layer's copier: a Job on the Crossplane cluster, in
// kubeconfig.secretNamespace, that reads exactly the Secret keys a tenant's claim names for the
// layer (log outputs', alert receivers') from the claim's namespace and writes them into one
// Secret in the tenant's host namespace, where the logging-operator or Alertmanager reads them. The values never pass through the function or a composed
// object. A finished copier is removed after RefreshSeconds and composed again, so a rotated
// credential arrives without anyone acting. With neither HostKubeconfigSecret nor HostSubject
// set, Crossplane runs on the host cluster and the Job writes with its own ServiceAccount.
type CredentialCopier struct {
	// Image of the copier: it needs sh, kubectl and base64. Pin it exactly (tag or digest).
	// Default: the Rancher registrar's default, docker.io/alpine/k8s:1.34.2.
	// +optional
	Image string `json:"image,omitempty"`

	// RefreshSeconds is how long a finished copier stays before it is composed again and copies
	// anew. Default: 900.
	// +optional
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=86400
	RefreshSeconds int64 `json:"refreshSeconds,omitempty"`

	// HostKubeconfigSecret is a Secret in kubeconfig.secretNamespace on the Crossplane cluster,
	// key "kubeconfig", that reaches the host cluster as HostSubject. Needed when Crossplane does
	// not run on the host cluster. The function grants HostSubject, per tenant, the writing of
	// that tenant's credentials Secret only.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostKubeconfigSecret string `json:"hostKubeconfigSecret,omitempty"`

	// HostSubject is the identity of that kubeconfig on the host cluster.
	// +optional
	HostSubject *rbacv1.Subject `json:"hostSubject,omitempty"`
}

func (c *CredentialCopier) defaults() {
	if c.Image == "" {
		c.Image = DefaultInstallerImage
	}
	if c.RefreshSeconds == 0 {
		c.RefreshSeconds = DefaultCredentialRefreshSeconds
	}
}

// DefaultCredentialRefreshSeconds is how often the copier copies a tenant's credentials
// anew (plus provider-kubernetes' poll interval).
const DefaultCredentialRefreshSeconds int64 = 900

func (c CredentialCopier) validate(field string) error {
	if !pinnedImage(c.Image) {
		return fmt.Errorf("input %s.image %q must be pinned to an exact tag or digest, e.g. %s", field, c.Image, DefaultInstallerImage)
	}
	if c.RefreshSeconds < 60 || c.RefreshSeconds > 86400 {
		return fmt.Errorf("input %s.refreshSeconds %d must be between 60 and 86400", field, c.RefreshSeconds)
	}
	return validateSubject(field, "hostKubeconfigSecret", "hostSubject", "the host cluster", c.HostKubeconfigSecret, c.HostSubject)
}
