package fn

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
	labelClaimName      = "crossplane.io/claim-name"
	labelClaimNamespace = "crossplane.io/claim-namespace"
)

// tenant is the normalised tenant: the claim's spec with the platform's defaults applied and
// checked against the platform's policy, plus every name the layers use. Layers read only this
// (and observed state), never the raw XR or Input.
type tenant struct {
	scope scope
	// name and namespace identify the tenant as its owners know it: the claim's (or namespaced
	// XR's) name and namespace. namespace is empty for a legacy XR created without a claim.
	name, namespace string
	// id is the stable DNS label all composed names derive from (see names.go).
	id string
	// xrNamespace is where a namespaced XR's managed resources live; empty for legacy XRs.
	xrNamespace string

	hostNamespace string
	releaseName   string

	kubernetesVersion string
	imageTag          string
	sizeName          string
	size              inputv1beta1.SizeProfile
	podSecurity       v1alpha1.PodSecurityLevel
	isolation         isolation
	exposure          exposure
	backingStore      string
	// keptVolume is the data volume of a virtual cluster that exists (keptDataVolume).
	keptVolume *dataVolume
	rancher    rancherTenant

	// uid is the XR's UID. Crossplane does not show functions the claim's UID; the XR lives
	// exactly as long as its claim, so its UID tells a re-created tenant of the same name apart.
	uid string
	// warnings are problems that do not stop the tenant, reported as Warning results.
	warnings []string

	input *inputv1beta1.Input
	// observedStatus is the XR's status as last written, for facts kept from earlier runs.
	observedStatus v1alpha1.TenantClusterStatus
}

// fieldError is a problem with one field of the claim: the message says what is wrong and how
// to fix it, so it can go to the tenant unchanged.
type fieldError struct {
	field   string
	message string
}

func (e *fieldError) Error() string { return fmt.Sprintf("spec.%s: %s", e.field, e.message) }

// newTenant normalises an XR under the platform's (defaulted, validated) input.
func newTenant(xr *composite.Unstructured, in *inputv1beta1.Input) (*tenant, error) {
	var x v1alpha1.XTenantCluster
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(xr.UnstructuredContent(), &x); err != nil {
		return nil, fmt.Errorf("cannot read the TenantCluster: %w", err)
	}

	t := &tenant{input: in, observedStatus: x.Status, uid: string(xr.GetUID())}
	switch {
	case xr.GetNamespace() != "":
		t.scope = scopeNamespaced
		t.name, t.namespace, t.xrNamespace = xr.GetName(), xr.GetNamespace(), xr.GetNamespace()
	case xr.GetLabels()[labelClaimName] != "":
		t.scope = scopeLegacy
		t.name, t.namespace = xr.GetLabels()[labelClaimName], xr.GetLabels()[labelClaimNamespace]
	default:
		t.scope = scopeLegacy
		t.name = xr.GetName()
	}
	if t.name == "" {
		return nil, fmt.Errorf("the TenantCluster has no name")
	}

	readable := t.name
	if t.namespace != "" {
		readable = t.namespace + "-" + t.name
	}
	t.id = tenantID(readable, t.namespace+"/"+t.name)
	t.hostNamespace = in.Namespace.Prefix + t.id
	t.releaseName = dnsLabel(t.name, maxIDLength)

	if err := t.applySpec(x.Spec); err != nil {
		return nil, err
	}
	return t, nil
}

// applySpec resolves the claim's choices against the platform's offer and policy.
func (t *tenant) applySpec(spec v1alpha1.TenantClusterSpec) error {
	in := t.input

	t.kubernetesVersion = orDefault(spec.KubernetesVersion, in.Defaults.KubernetesVersion)
	tag, ok := in.ImageTag(t.kubernetesVersion)
	if !ok {
		return &fieldError{field: "kubernetesVersion", message: fmt.Sprintf(
			"Kubernetes %q is not offered on this platform; choose one of %s", t.kubernetesVersion, strings.Join(in.OfferedVersions(), ", "))}
	}
	t.imageTag = tag

	t.sizeName = orDefault(spec.Size, in.Defaults.Size)
	size, ok := in.Sizes[t.sizeName]
	if !ok {
		return &fieldError{field: "size", message: fmt.Sprintf(
			"size %q is not offered on this platform; choose one of %s", t.sizeName, strings.Join(in.SizeNames(), ", "))}
	}
	t.size = size

	level := in.Defaults.PodSecurity
	if spec.Isolation != nil && spec.Isolation.PodSecurity != "" {
		level = string(spec.Isolation.PodSecurity)
	}
	rank, floor := inputv1beta1.PodSecurityRank(level), inputv1beta1.PodSecurityRank(in.Policy.PodSecurityFloor)
	if rank < 0 {
		return &fieldError{field: "isolation.podSecurity", message: fmt.Sprintf(
			"%q is not a Pod Security Standard; use privileged, baseline or restricted", level)}
	}
	if rank < floor {
		return &fieldError{field: "isolation.podSecurity", message: fmt.Sprintf(
			"%q is below this platform's floor %q; ask for %q or stricter", level, in.Policy.PodSecurityFloor, in.Policy.PodSecurityFloor)}
	}
	t.podSecurity = v1alpha1.PodSecurityLevel(level)

	iso, err := resolveIsolation(spec, size, in)
	if err != nil {
		return err
	}
	t.isolation = iso
	exp, err := resolveExposure(spec, t.id, in)
	if err != nil {
		return err
	}
	t.exposure = exp
	if err := t.resolveRancher(spec.Rancher); err != nil {
		return err
	}
	return t.resolveBackingStore()
}

// composedName is the metadata.name of a composed managed resource. Legacy managed resources are
// cluster-scoped, so the name must be unique across all tenants: it carries the tenant ID.
func (t *tenant) composedName(suffix string) string {
	return t.id + "-" + suffix
}

// labels go on every composed resource, so that a platform engineer can list a tenant's objects.
func (t *tenant) labels() map[string]any {
	l := map[string]any{
		labelTenant:    t.id,
		labelManagedBy: managedBy,
	}
	if t.namespace != "" {
		l[labelTenantNamespace] = t.namespace
	}
	return l
}

// Labels and annotations the function sets.
const (
	labelTenant          = "tenantcluster.io/tenant"
	labelTenantNamespace = "tenantcluster.io/claim-namespace"
	annotationClaimName  = "tenantcluster.io/claim-name"
	labelManagedBy       = "app.kubernetes.io/managed-by"
	managedBy            = "function-tenantcluster"
)

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
