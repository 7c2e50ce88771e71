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
	resourceRancherToken   resource.Name = "rancher-token"
	resourceRancherMgmt    resource.Name = "rancher-mgmt"
)

// Condition and reasons of the Rancher layer; the reason names the step that is pending.
const (
	conditionRancherRegistered = "RancherRegistered"

	reasonClusterPending     = "ClusterPending"
	reasonTokenPending       = "TokenPending"
	reasonAgentPending       = "AgentPending"
	reasonAgentInstallFailed = "AgentInstallFailed"
	reasonDisconnected       = "Disconnected"
	reasonRegistered         = "Registered"
)

// Where the import manifest's address comes from (status.rancher.tokenSource).
const (
	tokenSourceManifestURL = "ManifestURL"
	tokenSourceSecret      = "Secret"
)

// Rancher's registration token: every imported cluster gets one of this name in its namespace.
const registrationTokenName = "default-token"

// labelTenantUID carries the XR's UID on the provisioning Cluster.
const labelTenantUID = "tenantcluster.io/tenant-uid"

// rancherOutput is the Rancher layer: its resources, condition and status, and the resources
// other layers order deletion against.
type rancherOutput struct {
	enabled   bool
	resources []desiredResource
	// cluster is the provisioning Cluster: deleting it deregisters the virtual cluster.
	cluster desiredResource
	// agentNamespace is where Rancher's agent runs in the virtual cluster, once installed.
	agentNamespace *desiredResource
	// project is the project created for the tenant, if any.
	project   *desiredResource
	condition layerCondition
	status    v1alpha1.RancherStatus
}

// rancherFacts are Rancher's answers: from observed state when it is there, otherwise as kept
// in the XR status, so that a resource missing from one request never undoes a step.
type rancherFacts struct {
	clusterID        string
	tokenSource      string
	tokenSecretName  string
	connected        bool
	connectedMessage string
	projectNamespace string
	// installFailed is the agent installer Job's failure message, if it failed.
	installFailed string
}

// readRancherFacts reads Rancher's answers from the observed Objects and the kept status.
func readRancherFacts(t *tenant, observed observedState) rancherFacts {
	var f rancherFacts
	if kept := t.observedStatus.Rancher; kept != nil {
		f.clusterID = kept.ClusterID
		f.tokenSource, f.tokenSecretName = kept.TokenSource, kept.TokenSecretName
		f.projectNamespace = kept.CreatedProjectNamespace
	}
	if id := manifestString(observedManifest(observed.get(resourceRancherCluster)), "status", "clusterName"); isDNSLabel(id) {
		f.clusterID = id
	}
	// The token and the management cluster tell something only if they are the cluster's.
	if tok := observedManifest(observed.get(resourceRancherToken)); f.clusterID != "" && manifestString(tok, "metadata", "namespace") == f.clusterID {
		if name := manifestString(tok, "status", "tokenSecretName"); len(validation.IsDNS1123Subdomain(name)) == 0 {
			f.tokenSource, f.tokenSecretName = tokenSourceSecret, name
		} else if manifestString(tok, "status", "manifestUrl") != "" {
			f.tokenSource, f.tokenSecretName = tokenSourceManifestURL, ""
		}
	}
	if mgmt := observedManifest(observed.get(resourceRancherMgmt)); f.clusterID != "" && manifestString(mgmt, "metadata", "name") == f.clusterID {
		status, message, _ := manifestCondition(mgmt, "Connected")
		f.connected, f.connectedMessage = status == "True", message
	}
	if p := observedManifest(observed.get(resourceRancherProject)); p != nil {
		if ns := manifestString(p, "status", "backingNamespace"); isDNSLabel(ns) {
			f.projectNamespace = ns
		}
	}
	if job := observedManifest(observed.get(resourceAgentInstall)); job != nil {
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
//  2. once Rancher names its management cluster (status.clusterName): Observe-only lookups of
//     that cluster and its registration token, and the owners' and members' role bindings;
//  3. once the token is there: the agent installer inside the virtual cluster (rancheragent.go);
//  4. registered once Rancher reports the management cluster Connected.
func rancherLayer(t *tenant, observed observedState) rancherOutput {
	f := readRancherFacts(t, observed)
	if !t.rancher.enabled {
		return keptProject(t, f, observed)
	}
	out := rancherOutput{enabled: true}

	out.cluster = desiredResource{name: resourceRancherCluster, object: t.provisioningCluster(), ready: f.clusterID != ""}
	out.resources = append(out.resources, out.cluster)
	if f.clusterID != "" {
		out.resources = append(out.resources,
			desiredResource{name: resourceRancherToken, object: t.registrationTokenLookup(f), ready: f.tokenSource != ""},
			desiredResource{name: resourceRancherMgmt, object: t.managementClusterLookup(f.clusterID), ready: f.connected},
		)
		out.resources = append(out.resources, t.clusterRoleBindings(f.clusterID, observed)...)
	}
	job := ""
	if f.clusterID != "" && f.tokenSource != "" {
		agent, ns, name := t.agentInstall(f, observed)
		job = name
		out.resources = append(out.resources, agent...)
		out.agentNamespace = &ns
	}
	if project := t.projectResources(f, observed); len(project) > 0 {
		out.project = &project[0]
		out.resources = append(out.resources, project...)
	}

	out.status = v1alpha1.RancherStatus{
		ClusterName:             t.id,
		ClusterID:               f.clusterID,
		Registered:              f.clusterID != "" && f.tokenSource != "",
		Connected:               f.connected,
		ProjectID:               t.rancher.projectID,
		CreatedProjectID:        t.rancher.createdProjectID,
		CreatedProjectNamespace: f.projectNamespace,
		TokenSource:             f.tokenSource,
		TokenSecretName:         f.tokenSecretName,
	}
	if f.clusterID != "" {
		out.status.URL = t.rancherURL() + "/dashboard/c/" + f.clusterID + "/explorer"
	}
	out.condition = t.rancherCondition(f, job)
	if !out.condition.status {
		// The Objects of the pending step, and those that step waits on.
		names := map[string][]resource.Name{
			reasonClusterPending:     {resourceRancherCluster},
			reasonTokenPending:       {resourceRancherToken, resourceRancherCluster},
			reasonAgentPending:       {resourceAgentNamespace, resourceAgentImport, resourceAgentAccount, resourceAgentBinding, resourceAgentCA, resourceAgentInstall, resourceRancherMgmt},
			reasonAgentInstallFailed: {resourceAgentInstall},
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

// rancherCondition says which step of the registration is pending; job is the installer Job's
// name, once it is composed.
func (t *tenant) rancherCondition(f rancherFacts, job string) layerCondition {
	c := layerCondition{typ: conditionRancherRegistered}
	in := t.input
	switch {
	case f.clusterID == "":
		c.reason = reasonClusterPending
		c.message = fmt.Sprintf("Waiting for Rancher to create the cluster for provisioning Cluster %s/%s (through ProviderConfig %q).",
			in.Rancher.FleetWorkspace, t.id, in.Targets.Rancher.KubernetesProviderConfig)
	case f.tokenSource == "":
		c.reason = reasonTokenPending
		c.message = fmt.Sprintf("Rancher created cluster %s; waiting for its registration token %s/%s.", f.clusterID, f.clusterID, registrationTokenName)
	case f.connected:
		c.status, c.reason = true, reasonRegistered
		c.message = fmt.Sprintf("Registered in Rancher as cluster %s and connected: %s/dashboard/c/%s/explorer", f.clusterID, t.rancherURL(), f.clusterID)
	case f.installFailed != "":
		c.reason = reasonAgentInstallFailed
		c.message = fmt.Sprintf("The Job that applies Rancher's import manifest in the virtual cluster failed: %s. It runs again within %s; to retry now, "+
			"delete Job %s/%s in the virtual cluster.", f.installFailed, installerRetryText, agentNamespace, job)
	case t.observedStatus.Rancher != nil && t.observedStatus.Rancher.Connected:
		c.reason = reasonDisconnected
		c.message = fmt.Sprintf("Rancher reports cluster %s disconnected", f.clusterID)
		if f.connectedMessage != "" {
			c.message += ": " + f.connectedMessage
		}
		c.message += "; Rancher's agent runs in the virtual cluster's namespace " + agentNamespace + "."
	default:
		c.reason = reasonAgentPending
		c.message = fmt.Sprintf("Rancher's import manifest is applied in the virtual cluster by Job %s/%s; waiting for Rancher's agent to connect cluster %s.",
			agentNamespace, job, f.clusterID)
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

// registrationTokenLookup observes the cluster's registration token. Once the token is there,
// it also copies the import address (or, from Rancher 2.15, the token) into a connection
// Secret on the Crossplane cluster, from where the agent installer's Secret is patched: the
// token never passes through this function or any composed resource's spec.
func (t *tenant) registrationTokenLookup(f rancherFacts) map[string]any {
	manifest := map[string]any{
		"apiVersion": "management.cattle.io/v3",
		"kind":       "ClusterRegistrationToken",
		"metadata":   map[string]any{"name": registrationTokenName, "namespace": f.clusterID},
	}
	obj := t.object("rancher-token", t.rancherProviderConfig(), manifest, celReadiness(
		"has(object.status) && ((has(object.status.manifestUrl) && object.status.manifestUrl != '') || "+
			"(has(object.status.tokenSecretName) && object.status.tokenSecretName != ''))"))
	setSpec(obj, "managementPolicies", []any{"Observe"})
	switch f.tokenSource {
	case tokenSourceManifestURL:
		setSpec(obj, "connectionDetails", []any{map[string]any{
			"apiVersion": "management.cattle.io/v3", "kind": "ClusterRegistrationToken",
			"name": registrationTokenName, "namespace": f.clusterID,
			"fieldPath": "status.manifestUrl", "toConnectionSecretKey": importKeyManifestURL,
		}})
	case tokenSourceSecret:
		setSpec(obj, "connectionDetails", []any{map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"name": f.tokenSecretName, "namespace": f.clusterID,
			"fieldPath": "data.token", "toConnectionSecretKey": importKeyToken,
		}})
	}
	if f.tokenSource != "" {
		setSpec(obj, "writeConnectionSecretToRef", t.importSecretRef())
	}
	return obj
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
