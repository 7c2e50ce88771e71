// Package tenant is the tenant model: a TenantCluster's spec resolved against the platform's
// Input (defaults, offers, bounds), every name derived from the tenant's ID, the claim's field
// errors, and the facts kept from earlier runs. It is the one thing every layer reads, and the
// only way layers know of each other.
package tenant

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource/composite"
	"k8s.io/apimachinery/pkg/runtime"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Labels Crossplane puts on a legacy XR created through a claim.
const (
	LabelClaimName      = "crossplane.io/claim-name"
	LabelClaimNamespace = "crossplane.io/claim-namespace"
)

// Tenant is the normalised tenant: the claim's spec with the platform's defaults applied and
// checked against the platform's policy, plus every name the layers use, and the facts kept from
// earlier runs. Layers read only this (and observed state), never the raw XR or Input, and never
// write to it: it is the one thing all layers share.
type Tenant struct {
	Scope Scope
	// Name and Namespace identify the tenant as its owners know it: the claim's (or namespaced
	// XR's) name and namespace. Namespace is empty for a legacy XR created without a claim.
	Name, Namespace string
	// ID is the stable DNS label all composed names derive from (see names.go).
	ID string
	// XRNamespace is where a namespaced XR's managed resources live; empty for legacy XRs.
	XRNamespace string

	HostNamespace string
	ReleaseName   string

	KubernetesVersion string
	ImageTag          string
	SizeName          string
	Size              inputv1beta1.SizeProfile
	PodSecurity       v1alpha1.PodSecurityLevel
	Isolation         Isolation
	Exposure          Exposure
	BackingStore      string
	Rancher           Rancher
	Logging           Logging
	Monitoring        Monitoring

	// UID is the XR's UID. Crossplane does not show functions the claim's UID; the XR lives
	// exactly as long as its claim, so its UID tells a re-created tenant of the same name apart.
	UID string
	// Warnings are problems that do not stop the tenant, reported as Warning results.
	Warnings []string

	Input *inputv1beta1.Input
	// ObservedStatus is the XR's status as last written, for facts kept from earlier runs.
	ObservedStatus v1alpha1.TenantClusterStatus
	// ObservedConditions are the types of the conditions the XR carries. Crossplane keeps a
	// condition the function no longer returns, so a layer that goes off must say so.
	ObservedConditions []string

	// KubeconfigExported is true once the virtual cluster's kubeconfig has been exported: now
	// (the observed Release says so) or before (the XR status says so). It is a fact, not a
	// reading: a Helm upgrade under way or failed makes the Release not ready, but the Secrets
	// it exported remain, and what reads them (the tenant target, Rancher's registrar) must not
	// go. The pipeline sets it before the layers run (SetKubeconfigExported).
	KubeconfigExported bool
}

// SetKubeconfigExported records whether the kubeconfig is exported now; once it was, it stays.
func (t *Tenant) SetKubeconfigExported(now bool) {
	t.KubeconfigExported = now || (t.ObservedStatus.TenantTarget != nil && t.ObservedStatus.TenantTarget.Ready)
}

// FieldError is a problem with one field of the claim: the message says what is wrong and how
// to fix it, so it can go to the tenant unchanged. Field is its path under spec.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("spec.%s: %s", e.Field, e.Message) }

// New normalises an XR under the platform's (defaulted, validated) input.
func New(xr *composite.Unstructured, in *inputv1beta1.Input) (*Tenant, error) {
	var x v1alpha1.XTenantCluster
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(xr.UnstructuredContent(), &x); err != nil {
		return nil, fmt.Errorf("cannot read the TenantCluster: %w", err)
	}

	t := &Tenant{Input: in, ObservedStatus: x.Status, UID: string(xr.GetUID()), ObservedConditions: conditionTypes(xr.Object)}
	switch {
	case xr.GetNamespace() != "":
		t.Scope = ScopeNamespaced
		t.Name, t.Namespace, t.XRNamespace = xr.GetName(), xr.GetNamespace(), xr.GetNamespace()
	case xr.GetLabels()[LabelClaimName] != "":
		t.Scope = ScopeLegacy
		t.Name, t.Namespace = xr.GetLabels()[LabelClaimName], xr.GetLabels()[LabelClaimNamespace]
	default:
		t.Scope = ScopeLegacy
		t.Name = xr.GetName()
	}
	if t.Name == "" {
		return nil, fmt.Errorf("the TenantCluster has no name")
	}

	readable := t.Name
	if t.Namespace != "" {
		readable = t.Namespace + "-" + t.Name
	}
	t.ID = tenantID(readable, t.Namespace+"/"+t.Name)
	t.HostNamespace = in.Namespace.Prefix + t.ID
	t.ReleaseName = DNSLabel(t.Name, MaxIDLength)

	if err := t.applySpec(x.Spec); err != nil {
		return nil, err
	}
	return t, nil
}

// applySpec resolves the claim's choices against the platform's offer and policy.
func (t *Tenant) applySpec(spec v1alpha1.TenantClusterSpec) error {
	in := t.Input

	t.KubernetesVersion = orDefault(spec.KubernetesVersion, in.Defaults.KubernetesVersion)
	tag, ok := in.ImageTag(t.KubernetesVersion)
	if !ok {
		return &FieldError{Field: "kubernetesVersion", Message: fmt.Sprintf(
			"Kubernetes %q is not offered on this platform; choose one of %s", t.KubernetesVersion, strings.Join(in.OfferedVersions(), ", "))}
	}
	t.ImageTag = tag

	t.SizeName = orDefault(spec.Size, in.Defaults.Size)
	size, ok := in.Sizes[t.SizeName]
	if !ok {
		return &FieldError{Field: "size", Message: fmt.Sprintf(
			"size %q is not offered on this platform; choose one of %s", t.SizeName, strings.Join(in.SizeNames(), ", "))}
	}
	t.Size = size

	level := in.Defaults.PodSecurity
	if spec.Isolation != nil && spec.Isolation.PodSecurity != "" {
		level = string(spec.Isolation.PodSecurity)
	}
	rank, floor := inputv1beta1.PodSecurityRank(level), inputv1beta1.PodSecurityRank(in.Policy.PodSecurityFloor)
	if rank < 0 {
		return &FieldError{Field: "isolation.podSecurity", Message: fmt.Sprintf(
			"%q is not a Pod Security Standard; use privileged, baseline or restricted", level)}
	}
	if rank < floor {
		return &FieldError{Field: "isolation.podSecurity", Message: fmt.Sprintf(
			"%q is below this platform's floor %q; ask for %q or stricter", level, in.Policy.PodSecurityFloor, in.Policy.PodSecurityFloor)}
	}
	t.PodSecurity = v1alpha1.PodSecurityLevel(level)

	iso, err := resolveIsolation(spec, size, in)
	if err != nil {
		return err
	}
	t.Isolation = iso
	exp, err := resolveExposure(spec, t.ID, in)
	if err != nil {
		return err
	}
	t.Exposure = exp
	if err := t.resolveRancher(spec.Rancher); err != nil {
		return err
	}
	if err := t.resolveLogging(spec.Logging); err != nil {
		return err
	}
	if err := t.resolveMonitoring(spec.Monitoring); err != nil {
		return err
	}
	return t.resolveBackingStore()
}

// ComposedName is the metadata.name of a composed managed resource. Legacy managed resources are
// cluster-scoped, so the name must be unique across all tenants: it carries the tenant ID.
func (t *Tenant) ComposedName(suffix string) string {
	return t.ID + "-" + suffix
}

// Labels go on every composed resource, so that a platform engineer can list a tenant's objects.
func (t *Tenant) Labels() map[string]any {
	l := map[string]any{
		LabelTenant:    t.ID,
		LabelManagedBy: ManagedBy,
	}
	if t.Namespace != "" {
		l[LabelTenantNamespace] = t.Namespace
	}
	return l
}

// Labels and annotations the function sets.
const (
	LabelTenant          = "tenantcluster.io/tenant"
	LabelTenantNamespace = "tenantcluster.io/claim-namespace"
	AnnotationClaimName  = "tenantcluster.io/claim-name"
	LabelManagedBy       = "app.kubernetes.io/managed-by"
	ManagedBy            = "function-tenantcluster"
)

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// conditionTypes are the types of an object's status conditions.
func conditionTypes(obj map[string]any) []string {
	st, _ := obj["status"].(map[string]any)
	conds, _ := st["conditions"].([]any)
	var out []string
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if typ, _ := cm["type"].(string); typ != "" {
			out = append(out, typ)
		}
	}
	return out
}
