package fn

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Pipeline names of the registration chain on Rancher's cluster.
const (
	resourceRancherCluster resource.Name = "rancher-cluster"
	resourceRancherMgmt    resource.Name = "rancher-mgmt"
)

// Condition and reasons of the Rancher layer; the reason names the step that is pending.
const (
	conditionRancherRegistered = "RancherRegistered"

	reasonClusterPending     = "ClusterPending"
	reasonAgentPending       = "AgentPending"
	reasonAgentInstallFailed = "AgentInstallFailed"
	reasonDisconnected       = "Disconnected"
	reasonRegistered         = "Registered"
)

// labelTenantUID carries the XR's UID on the provisioning Cluster.
const labelTenantUID = "tenantcluster.io/tenant-uid"

// rancherOutput is the Rancher layer: its resources, condition and status, and the resources
// other layers order deletion against.
type rancherOutput struct {
	enabled   bool
	resources []desiredResource
	// cluster is the provisioning Cluster: deleting it deregisters the virtual cluster.
	cluster desiredResource
	// project is the project created for the tenant, if any.
	project   *desiredResource
	condition layerCondition
	status    v1alpha1.RancherStatus
}

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
func readRancherFacts(t *tenant, observed observedState) rancherFacts {
	var f rancherFacts
	if kept := t.observedStatus.Rancher; kept != nil {
		f.clusterID = kept.ClusterID
		f.connectedKept = kept.Connected
		f.projectNamespace = kept.CreatedProjectNamespace
	}
	if id := manifestString(observedManifest(observed.get(resourceRancherCluster)), "status", "clusterName"); isDNSLabel(id) {
		f.clusterID = id
	}
	// The management cluster tells something only if it is the cluster's.
	if mgmt := observedManifest(observed.get(resourceRancherMgmt)); f.clusterID != "" && manifestString(mgmt, "metadata", "name") == f.clusterID {
		status, message, _ := manifestCondition(mgmt, "Connected")
		f.connected, f.connectedMessage, f.connectionObserved = status == "True", message, true
	}
	if p := observedManifest(observed.get(resourceRancherProject)); p != nil {
		if ns := manifestString(p, "status", "backingNamespace"); isDNSLabel(ns) {
			f.projectNamespace = ns
		}
	}
	if job := observedManifest(observed.get(resourceRegistrarJob)); job != nil {
		if status, message, _ := manifestCondition(job, "Failed"); status == "True" {
			f.installFailed = message
		}
	}
	return f
}

// rancherLayer registers the virtual cluster in Rancher as an imported cluster, step by step as
// Rancher answers:
//
//  1. a provisioning Cluster (empty spec: imported) in the fleet workspace;
//  2. once Rancher names its management cluster (status.clusterName): an Observe-only lookup of
//     that cluster, the owners' and members' role bindings, and, once the virtual cluster's
//     kubeconfig is there, the registrar that applies Rancher's import manifest inside it
//     (rancherregistrar.go);
//  3. registered once Rancher reports the management cluster Connected.
//
// kubeconfigReady says the virtual cluster's kubeconfig has been exported (now, or as kept in
// the XR status): the registrar reads it.
func rancherLayer(t *tenant, observed observedState, kubeconfigReady bool) rancherOutput {
	f := readRancherFacts(t, observed)
	if !t.rancher.enabled {
		return keptProject(t, f, observed)
	}
	out := rancherOutput{enabled: true}

	out.cluster = desiredResource{name: resourceRancherCluster, object: t.provisioningCluster(), ready: f.clusterID != ""}
	out.resources = append(out.resources, out.cluster)
	job := ""
	if f.clusterID != "" {
		out.resources = append(out.resources,
			desiredResource{name: resourceRancherMgmt, object: t.managementClusterLookup(f.clusterID), ready: f.connected},
		)
		out.resources = append(out.resources, t.clusterRoleBindings(f.clusterID, observed)...)
		if kubeconfigReady {
			var registrar []desiredResource
			registrar, job = t.registrar(f, observed)
			out.resources = append(out.resources, registrar...)
		}
	}
	if project := t.projectResources(f, observed); len(project) > 0 {
		out.project = &project[0]
		out.resources = append(out.resources, project...)
	}

	out.status = v1alpha1.RancherStatus{
		ClusterName:             t.id,
		ClusterID:               f.clusterID,
		Registered:              f.clusterID != "",
		Connected:               f.stillConnected(),
		ProjectID:               t.rancher.projectID,
		CreatedProjectID:        t.rancher.createdProjectID,
		CreatedProjectNamespace: f.projectNamespace,
	}
	if f.clusterID != "" {
		out.status.URL = t.rancherURL() + "/dashboard/c/" + f.clusterID + "/explorer"
	}
	out.condition = t.rancherCondition(f, job, kubeconfigReady)
	if !out.condition.status {
		// The Objects of the pending step, and those that step waits on.
		names := map[string][]resource.Name{
			reasonClusterPending: {resourceRancherCluster},
			reasonAgentPending: {resourceRegistrarAccount, resourceRegistrarKubeconfig, resourceRegistrarKubeconfigRB, resourceRegistrarToken,
				resourceRegistrarTokenRB, resourceRegistrarCA, resourceRegistrarJob, resourceRancherMgmt},
			reasonAgentInstallFailed: {resourceRegistrarJob},
			reasonDisconnected:       {resourceRancherMgmt},
		}[out.condition.reason]
		out.condition.message += syncProblem(observed, names...)
	}
	return out
}

// keptProject is what stays of the Rancher layer once the platform turns registration off: the
// project created for the tenant (without bindings), because Rancher deletes the namespaces of a
// deleted project, and the fact that it exists.
func keptProject(t *tenant, f rancherFacts, observed observedState) rancherOutput {
	if t.rancher.createdProjectID == "" {
		return rancherOutput{}
	}
	project := t.projectResources(rancherFacts{}, observed)[0]
	project.ready = f.projectNamespace != ""
	return rancherOutput{
		resources: []desiredResource{project},
		project:   &project,
		status:    v1alpha1.RancherStatus{CreatedProjectID: t.rancher.createdProjectID, CreatedProjectNamespace: f.projectNamespace},
	}
}

// rancherCondition says which step of the registration is pending; job is the registrar Job's
// name, once it is composed.
func (t *tenant) rancherCondition(f rancherFacts, job string, kubeconfigReady bool) layerCondition {
	c := layerCondition{typ: conditionRancherRegistered}
	in := t.input
	jobRef := in.Kubeconfig.SecretNamespace + "/" + job
	switch {
	case f.clusterID == "":
		c.reason = reasonClusterPending
		c.message = fmt.Sprintf("Waiting for Rancher to create the cluster for provisioning Cluster %s/%s (through ProviderConfig %q).",
			in.Rancher.FleetWorkspace, t.id, in.Targets.Rancher.KubernetesProviderConfig)
	case f.stillConnected():
		c.status, c.reason = true, reasonRegistered
		c.message = fmt.Sprintf("Registered in Rancher as cluster %s and connected: %s/dashboard/c/%s/explorer", f.clusterID, t.rancherURL(), f.clusterID)
	case !kubeconfigReady:
		c.reason = reasonAgentPending
		c.message = fmt.Sprintf("Rancher created cluster %s; its import manifest is applied once the virtual cluster's kubeconfig is exported.", f.clusterID)
	case f.installFailed != "":
		c.reason = reasonAgentInstallFailed
		c.message = fmt.Sprintf("The Job that applies Rancher's import manifest in the virtual cluster failed: %s. It runs again within %s; to retry now, "+
			"delete Job %s on the Crossplane cluster (its log says why it failed).", f.installFailed, installerRetryText, jobRef)
	case f.connectedKept:
		c.reason = reasonDisconnected
		c.message = fmt.Sprintf("Rancher reports cluster %s disconnected", f.clusterID)
		if f.connectedMessage != "" {
			c.message += ": " + f.connectedMessage
		}
		c.message += fmt.Sprintf("; Rancher's agent runs in the virtual cluster's namespace %s, and Job %s on the Crossplane cluster registers it again.", agentNamespace, jobRef)
	default:
		c.reason = reasonAgentPending
		c.message = fmt.Sprintf("Rancher's import manifest is applied in the virtual cluster by Job %s on the Crossplane cluster; waiting for Rancher's agent to connect cluster %s.",
			jobRef, f.clusterID)
	}
	return c
}

// provisioningCluster is the provisioning Cluster that imports the virtual cluster: an empty
// spec (no rkeConfig) means imported, plus the platform's agent customisation.
func (t *tenant) provisioningCluster() map[string]any {
	r := t.input.Rancher
	labels := t.labels()
	if t.uid != "" {
		labels[labelTenantUID] = t.uid
	}
	meta := map[string]any{"name": t.id, "namespace": r.FleetWorkspace, "labels": labels}
	if t.name != "" {
		meta["annotations"] = map[string]any{annotationClaimName: t.name}
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
	return t.object("rancher-cluster", t.rancherProviderConfig(), manifest, celReadiness(
		"has(object.status) && has(object.status.clusterName) && object.status.clusterName != ''"))
}

// agentCustomization is the provisioning Cluster's clusterAgentDeploymentCustomization.
func agentCustomization(c *inputv1beta1.AgentDeploymentCustomization) map[string]any {
	// The input's types are the Kubernetes types Rancher's customisation uses, so the
	// unstructured conversion of the input gives Rancher's shape.
	m, err := toMap(c)
	if err != nil {
		return nil
	}
	return m
}

// managementClusterLookup observes Rancher's management cluster, for its Connected condition.
func (t *tenant) managementClusterLookup(clusterID string) map[string]any {
	manifest := map[string]any{
		"apiVersion": "management.cattle.io/v3",
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": clusterID},
	}
	obj := t.object("rancher-mgmt", t.rancherProviderConfig(), manifest, nil)
	setSpec(obj, "managementPolicies", []any{"Observe"})
	return obj
}

// clusterRoleBindings gives the claim's owners and members their roles on the cluster, one
// ClusterRoleTemplateBinding per principal and role, named after both.
func (t *tenant) clusterRoleBindings(clusterID string, observed observedState) []desiredResource {
	out := make([]desiredResource, 0, len(t.rancher.clusterBindings))
	for _, b := range t.rancher.clusterBindings {
		suffix := "crtb-" + shortHash(b.key())
		manifest := map[string]any{
			"apiVersion":       "management.cattle.io/v3",
			"kind":             "ClusterRoleTemplateBinding",
			"metadata":         map[string]any{"name": "tc-" + shortHash(b.key()), "namespace": clusterID, "labels": t.labels()},
			"clusterName":      clusterID,
			"roleTemplateName": b.role,
		}
		setPrincipal(manifest, b.principal)
		name := resource.Name(suffix)
		out = append(out, desiredResource{
			name:   name,
			object: t.object(suffix, t.rancherProviderConfig(), manifest, nil),
			ready:  isReady(observed.get(name)),
		})
	}
	return out
}

// setPrincipal names a binding's subject by principal ID.
func setPrincipal(manifest map[string]any, p principal) {
	if p.group {
		manifest["groupPrincipalName"] = p.id
		return
	}
	manifest["userPrincipalName"] = p.id
}

// rancherURL is Rancher's server URL without a trailing slash.
func (t *tenant) rancherURL() string { return strings.TrimSuffix(t.input.Rancher.URL, "/") }

// celReadiness is an Object readiness policy from a CEL expression over the observed object.
func celReadiness(query string) map[string]any {
	return map[string]any{"policy": "DeriveFromCelQuery", "celQuery": query}
}

func isDNSLabel(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }

// rancherProviderConfig is the provider-kubernetes ProviderConfig of Rancher's cluster.
func (t *tenant) rancherProviderConfig() string {
	return t.input.Targets.Rancher.KubernetesProviderConfig
}
