// Package rancher is the Rancher layer: the virtual cluster registered in Rancher as an imported
// cluster, owned there by the claim's owners and members, its host namespace placed in a
// project, and the registrar that carries Rancher's import manifest into the virtual cluster.
package rancher

import (
	"fmt"

	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pipeline names of the registration chain on Rancher's cluster.
const (
	// ResourceCluster is the provisioning Cluster: deleting it deregisters the virtual cluster.
	ResourceCluster     resource.Name = "rancher-cluster"
	resourceRancherMgmt resource.Name = "rancher-mgmt"
)

// Condition and reasons of the Rancher layer; the reason names the step that is pending.
const (
	ConditionRancherRegistered = "RancherRegistered"

	ReasonClusterPending     = "ClusterPending"
	ReasonAgentPending       = "AgentPending"
	ReasonAgentInstallFailed = "AgentInstallFailed"
	ReasonDisconnected       = "Disconnected"
	ReasonRegistered         = "Registered"
)

// labelTenantUID carries the XR's UID on the provisioning Cluster.
const labelTenantUID = "tenantcluster.io/tenant-uid"

// rancherFacts are Rancher's answers: from observed state when it is there, otherwise as kept
// in the XR status, so that a resource missing from one request never undoes a step.
type rancherFacts struct {
	clusterID        string
	connected        bool
	connectedMessage string
	// connectionObserved: the management cluster was observed in this request;
	// connectedKept: the XR status says it was connected when last seen.
	connectionObserved, connectedKept bool
	projectNamespace                  string
	// installFailed is the registrar Job's failure message, if it failed.
	installFailed string
}

// stillConnected: Rancher reports the cluster connected, or reported it and has not been
// observed since (a missing observation undoes nothing).
func (f rancherFacts) stillConnected() bool {
	return f.connected || (f.connectedKept && !f.connectionObserved)
}

// readRancherFacts reads Rancher's answers from the observed Objects and the kept status.
func readRancherFacts(t *tenant.Tenant, observed compose.Observed) rancherFacts {
	var f rancherFacts
	if kept := t.ObservedStatus.Rancher; kept != nil {
		f.clusterID = kept.ClusterID
		f.connectedKept = kept.Connected
		f.projectNamespace = kept.CreatedProjectNamespace
	}
	if id := compose.ManifestString(compose.ObservedManifest(observed.Get(ResourceCluster)), "status", "clusterName"); compose.IsDNSLabel(id) {
		f.clusterID = id
	}
	// The management cluster tells something only if it is the cluster's.
	if mgmt := compose.ObservedManifest(observed.Get(resourceRancherMgmt)); f.clusterID != "" && compose.ManifestString(mgmt, "metadata", "name") == f.clusterID {
		status, message, _ := compose.ManifestCondition(mgmt, "Connected")
		f.connected, f.connectedMessage, f.connectionObserved = status == "True", message, true
	}
	if p := compose.ObservedManifest(observed.Get(ResourceProject)); p != nil {
		if ns := compose.ManifestString(p, "status", "backingNamespace"); compose.IsDNSLabel(ns) {
			f.projectNamespace = ns
		}
	}
	if job := compose.ObservedManifest(observed.Get(ResourceRegistrarJob)); job != nil {
		if status, message, _ := compose.ManifestCondition(job, "Failed"); status == "True" {
			f.installFailed = message
		}
	}
	return f
}

// Layer registers the virtual cluster in Rancher as an imported cluster, step by step as
// Rancher answers:
//
//  1. a provisioning Cluster (empty spec: imported) in the fleet workspace;
//  2. once Rancher names its management cluster (status.clusterName): an Observe-only lookup of
//     that cluster, the owners' and members' role bindings, and, once the virtual cluster's
//     kubeconfig is exported (t.KubeconfigExported), the registrar that applies Rancher's
//     import manifest inside it (registrar.go);
//  3. registered once Rancher reports the management cluster Connected.
//
// Rancher's agents then run inside the virtual cluster, so in the tenant's host namespace: the
// layer declares them (agent.go).
func Layer(t *tenant.Tenant, observed compose.Observed) (layer.Output, error) {
	f := readRancherFacts(t, observed)
	legacy := releaseLegacyAgentNamespaces(t, observed)
	if !t.Rancher.Enabled {
		out := keptProject(t, f, observed)
		out.Resources = append(out.Resources, legacy...)
		return out, nil
	}
	var resources []compose.Desired
	resources = append(resources, compose.Desired{Name: ResourceCluster, Object: provisioningCluster(t), Ready: f.clusterID != ""})
	job := ""
	if f.clusterID != "" {
		resources = append(resources,
			compose.Desired{Name: resourceRancherMgmt, Object: managementClusterLookup(t, f.clusterID), Ready: f.connected},
		)
		resources = append(resources, clusterRoleBindings(t, f.clusterID, observed)...)
		if t.KubeconfigExported {
			var reg []compose.Desired
			reg, job = registrar(t, f, observed)
			resources = append(resources, reg...)
		}
	}
	// Rancher deregisters through the agent: the virtual cluster outlives the provisioning
	// Cluster.
	deps := []compose.Dependency{{By: ResourceCluster, Of: compose.ResourceVCluster}}
	if project := projectResources(t, f, observed); len(project) > 0 {
		resources = append(resources, project...)
		deps = append(deps, projectDependency)
	}
	resources = append(resources, legacy...)

	status := v1alpha1.RancherStatus{
		ClusterName:             t.ID,
		ClusterID:               f.clusterID,
		Registered:              f.clusterID != "",
		Connected:               f.stillConnected(),
		ProjectID:               t.Rancher.ProjectID,
		CreatedProjectID:        t.Rancher.CreatedProjectID,
		CreatedProjectNamespace: f.projectNamespace,
	}
	if f.clusterID != "" {
		status.URL = t.RancherURL() + "/dashboard/c/" + f.clusterID + "/explorer"
	}
	condition := rancherCondition(t, f, job)
	if !condition.Status {
		// The Objects of the pending step, and those that step waits on.
		names := map[string][]resource.Name{
			ReasonClusterPending: {ResourceCluster},
			ReasonAgentPending: {resourceRegistrarAccount, resourceRegistrarKubeconfig, resourceRegistrarKubeconfigRB, resourceRegistrarToken,
				resourceRegistrarTokenRB, resourceRegistrarCA, ResourceRegistrarJob, resourceRancherMgmt},
			ReasonAgentInstallFailed: {ResourceRegistrarJob},
			ReasonDisconnected:       {resourceRancherMgmt},
		}[condition.Reason]
		condition.Message += compose.SyncProblem(observed, names...)
	}
	return layer.Output{
		Resources:    resources,
		Conditions:   []compose.Condition{condition},
		Status:       func(s *v1alpha1.TenantClusterStatus) { s.Rancher = &status },
		Dependencies: deps,
		Workloads:    agentWorkloads(t),
	}, nil
}

// projectDependency: a project created for the tenant outlives its namespace, because Rancher
// deletes the namespaces of a deleted project.
var projectDependency = compose.Dependency{By: compose.ResourceNamespace, Of: ResourceProject}

// keptProject is what stays of the Rancher layer once the platform turns registration off: the
// project created for the tenant (without bindings), because Rancher deletes the namespaces of a
// deleted project, and the fact that it exists.
func keptProject(t *tenant.Tenant, f rancherFacts, observed compose.Observed) layer.Output {
	if t.Rancher.CreatedProjectID == "" {
		return layer.Output{}
	}
	project := projectResources(t, rancherFacts{}, observed)[0]
	project.Ready = f.projectNamespace != ""
	status := v1alpha1.RancherStatus{CreatedProjectID: t.Rancher.CreatedProjectID, CreatedProjectNamespace: f.projectNamespace}
	return layer.Output{
		Resources:    []compose.Desired{project},
		Status:       func(s *v1alpha1.TenantClusterStatus) { s.Rancher = &status },
		Dependencies: []compose.Dependency{projectDependency},
	}
}

// rancherCondition says which step of the registration is pending; job is the registrar Job's
// name, once it is composed.
func rancherCondition(t *tenant.Tenant, f rancherFacts, job string) compose.Condition {
	c := compose.Condition{Type: ConditionRancherRegistered}
	in := t.Input
	jobRef := in.Kubeconfig.SecretNamespace + "/" + job
	switch {
	case f.clusterID == "":
		c.Reason = ReasonClusterPending
		c.Message = fmt.Sprintf("Waiting for Rancher to create the cluster for provisioning Cluster %s/%s (through ProviderConfig %q).",
			in.Rancher.FleetWorkspace, t.ID, in.Targets.Rancher.KubernetesProviderConfig)
	case f.stillConnected():
		c.Status, c.Reason = true, ReasonRegistered
		c.Message = fmt.Sprintf("Registered in Rancher as cluster %s and connected: %s/dashboard/c/%s/explorer", f.clusterID, t.RancherURL(), f.clusterID)
	case !t.KubeconfigExported:
		c.Reason = ReasonAgentPending
		c.Message = fmt.Sprintf("Rancher created cluster %s; its import manifest is applied once the virtual cluster's kubeconfig is exported.", f.clusterID)
	case f.installFailed != "":
		c.Reason = ReasonAgentInstallFailed
		c.Message = fmt.Sprintf("The Job that applies Rancher's import manifest in the virtual cluster failed: %s. It runs again within %s; to retry now, "+
			"delete Job %s on the Crossplane cluster (its log says why it failed).", f.installFailed, installerRetryText, jobRef)
	case f.connectedKept:
		c.Reason = ReasonDisconnected
		c.Message = fmt.Sprintf("Rancher reports cluster %s disconnected", f.clusterID)
		if f.connectedMessage != "" {
			c.Message += ": " + f.connectedMessage
		}
		c.Message += fmt.Sprintf("; Rancher's agent runs in the virtual cluster's namespace %s, and Job %s on the Crossplane cluster registers it again.", tenant.AgentNamespace, jobRef)
	default:
		c.Reason = ReasonAgentPending
		c.Message = fmt.Sprintf("Rancher's import manifest is applied in the virtual cluster by Job %s on the Crossplane cluster; waiting for Rancher's agent to connect cluster %s.",
			jobRef, f.clusterID)
	}
	return c
}

// provisioningCluster is the provisioning Cluster that imports the virtual cluster: an empty
// spec (no rkeConfig) means imported, plus the platform's agent customisation.
func provisioningCluster(t *tenant.Tenant) map[string]any {
	r := t.Input.Rancher
	labels := t.Labels()
	if t.UID != "" {
		labels[labelTenantUID] = t.UID
	}
	meta := map[string]any{"name": t.ID, "namespace": r.FleetWorkspace, "labels": labels}
	if t.Name != "" {
		meta["annotations"] = map[string]any{tenant.AnnotationClaimName: t.Name}
	}
	spec := map[string]any{}
	if len(r.Agent.EnvVars) > 0 {
		env := make([]any, 0, len(r.Agent.EnvVars))
		for _, e := range r.Agent.EnvVars {
			env = append(env, map[string]any{"name": e.Name, "value": e.Value})
		}
		spec["agentEnvVars"] = env
	}
	if c := r.Agent.ClusterAgent; c != nil {
		if custom := agentCustomization(c); len(custom) > 0 {
			spec["clusterAgentDeploymentCustomization"] = custom
		}
	}
	manifest := map[string]any{
		"apiVersion": "provisioning.cattle.io/v1",
		"kind":       "Cluster",
		"metadata":   meta,
		"spec":       spec,
	}
	return compose.Object(t, "rancher-cluster", t.RancherProviderConfig(), manifest, compose.CelReadiness(
		"has(object.status) && has(object.status.clusterName) && object.status.clusterName != ''"))
}

// agentCustomization is the provisioning Cluster's clusterAgentDeploymentCustomization.
func agentCustomization(c *inputv1beta1.AgentDeploymentCustomization) map[string]any {
	// The input's types are the Kubernetes types Rancher's customisation uses, so the
	// unstructured conversion of the input gives Rancher's shape.
	m, err := compose.ToMap(c)
	if err != nil {
		return nil
	}
	return m
}

// managementClusterLookup observes Rancher's management cluster, for its Connected condition.
func managementClusterLookup(t *tenant.Tenant, clusterID string) map[string]any {
	manifest := map[string]any{
		"apiVersion": "management.cattle.io/v3",
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": clusterID},
	}
	obj := compose.Object(t, "rancher-mgmt", t.RancherProviderConfig(), manifest, nil)
	compose.SetSpec(obj, "managementPolicies", []any{"Observe"})
	return obj
}

// clusterRoleBindings gives the claim's owners and members their roles on the cluster, one
// ClusterRoleTemplateBinding per principal and role, named after both.
func clusterRoleBindings(t *tenant.Tenant, clusterID string, observed compose.Observed) []compose.Desired {
	out := make([]compose.Desired, 0, len(t.Rancher.ClusterBindings))
	for _, b := range t.Rancher.ClusterBindings {
		suffix := "crtb-" + tenant.ShortHash(b.Key())
		manifest := map[string]any{
			"apiVersion":       "management.cattle.io/v3",
			"kind":             "ClusterRoleTemplateBinding",
			"metadata":         map[string]any{"name": "tc-" + tenant.ShortHash(b.Key()), "namespace": clusterID, "labels": t.Labels()},
			"clusterName":      clusterID,
			"roleTemplateName": b.Role,
		}
		setPrincipal(manifest, b.Principal)
		name := resource.Name(suffix)
		out = append(out, compose.Desired{
			Name:   name,
			Object: compose.Object(t, suffix, t.RancherProviderConfig(), manifest, nil),
			Ready:  compose.IsReady(observed.Get(name)),
		})
	}
	return out
}

// setPrincipal names a binding's subject by principal ID.
func setPrincipal(manifest map[string]any, p tenant.Principal) {
	if p.Group {
		manifest["groupPrincipalName"] = p.ID
		return
	}
	manifest["userPrincipalName"] = p.ID
}
