package fn

import (
	"maps"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"
)

// resourceNamespace is the pipeline name of the tenant's host Namespace.
const resourceNamespace resource.Name = "namespace"

// Pod Security Admission labels (https://kubernetes.io/docs/concepts/security/pod-security-admission/).
const (
	labelPSAEnforce        = "pod-security.kubernetes.io/enforce"
	labelPSAEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	labelPSAAudit          = "pod-security.kubernetes.io/audit"
	labelPSAWarn           = "pod-security.kubernetes.io/warn"
)

// namespaceLayer composes the tenant's host Namespace on the host cluster. The virtual cluster's
// control plane and every pod it syncs run here, so the Pod Security level is enforced here: a
// workload the tenant creates inside the virtual cluster lands in this namespace and is admitted
// (or refused) by the host cluster's Pod Security Admission.
func namespaceLayer(t *tenant, observed observedState) desiredResource {
	labels := map[string]any{}
	for k, v := range t.input.Namespace.Labels {
		labels[k] = v
	}
	// The function's own labels win over the platform's extra labels: a platform label must not
	// weaken Pod Security or detach the namespace from its tenant.
	maps.Copy(labels, t.labels())
	// Audit and warn always use the tenant's own level, so that what the host does not
	// enforce (see hostPodSecurity) is still reported.
	labels[labelPSAEnforce] = string(t.hostPodSecurity())
	labels[labelPSAEnforceVersion] = "latest"
	labels[labelPSAAudit] = string(t.podSecurity)
	labels[labelPSAWarn] = string(t.podSecurity)

	meta := map[string]any{"name": t.hostNamespace, "labels": labels}
	annotations := map[string]any{}
	if t.name != "" {
		annotations[annotationClaimName] = t.name
	}
	if p := t.rancher.projectID; p != "" {
		// Rancher reads the project from the annotation (<cluster>:<project>) and selects
		// namespaces by the label (<project>).
		annotations[annotationRancherProject] = p
		_, name, _ := strings.Cut(p, ":")
		labels[annotationRancherProject] = name
	}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	manifest := map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata":   meta,
	}
	// A Namespace has no Ready condition; it is usable once its phase is Active.
	readiness := map[string]any{"policy": "DeriveFromCelQuery", "celQuery": "object.status.phase == 'Active'"}
	return desiredResource{
		name:   resourceNamespace,
		object: t.object("namespace", t.input.Targets.Host.KubernetesProviderConfig, manifest, readiness),
		ready:  isReady(observed.get(resourceNamespace)),
	}
}
