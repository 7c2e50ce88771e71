// Package namespace is the namespace layer: the tenant's host Namespace on the host cluster,
// where the virtual cluster's control plane and every pod it syncs run, with its Pod Security
// labels and its place in Rancher.
package namespace

import (
	"maps"
	"strings"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pod Security Admission labels (https://kubernetes.io/docs/concepts/security/pod-security-admission/).
const (
	LabelPSAEnforce        = "pod-security.kubernetes.io/enforce"
	LabelPSAEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	LabelPSAAudit          = "pod-security.kubernetes.io/audit"
	LabelPSAWarn           = "pod-security.kubernetes.io/warn"
)

// Layer composes the tenant's host Namespace on the host cluster. The virtual cluster's
// control plane and every pod it syncs run here, so the Pod Security level is enforced here: a
// workload the tenant creates inside the virtual cluster lands in this namespace and is admitted
// (or refused) by the host cluster's Pod Security Admission.
func Layer(t *tenant.Tenant, observed compose.Observed) (layer.Output, error) {
	labels := map[string]any{}
	for k, v := range t.Input.Namespace.Labels {
		labels[k] = v
	}
	// The function's own labels win over the platform's extra labels: a platform label must not
	// weaken Pod Security or detach the namespace from its tenant.
	maps.Copy(labels, t.Labels())
	// Audit and warn always use the tenant's own level, so that what the host does not
	// enforce (see HostPodSecurity) is still reported.
	labels[LabelPSAEnforce] = string(t.HostPodSecurity())
	labels[LabelPSAEnforceVersion] = "latest"
	labels[LabelPSAAudit] = string(t.PodSecurity)
	labels[LabelPSAWarn] = string(t.PodSecurity)

	meta := map[string]any{"name": t.HostNamespace, "labels": labels}
	annotations := map[string]any{}
	if t.Name != "" {
		annotations[tenant.AnnotationClaimName] = t.Name
	}
	if p := t.Rancher.ProjectID; p != "" {
		// Rancher reads the project from the annotation (<cluster>:<project>) and selects
		// namespaces by the label (<project>).
		annotations[tenant.AnnotationRancherProject] = p
		_, name, _ := strings.Cut(p, ":")
		labels[tenant.AnnotationRancherProject] = name
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
	readiness := compose.CelReadiness("object.status.phase == 'Active'")
	return layer.Output{
		Resources: []compose.Desired{{
			Name:   compose.ResourceNamespace,
			Object: compose.Object(t, "namespace", t.Input.Targets.Host.KubernetesProviderConfig, manifest, readiness),
			Ready:  compose.IsReady(observed.Get(compose.ResourceNamespace)),
		}},
		Rules: layer.HostRules{PodSecurity: t.HostPodSecurity()},
	}, nil
}
