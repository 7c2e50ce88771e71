package controlplane

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RancherURL is Rancher's server URL as the Composition's input names it. Nothing resolves it
// here: the registrar player gives the registrar the Rancher stand-in's loopback URL in its place
// (playing DNS), and the import manifest names it as Rancher's would.
const RancherURL = "https://rancher.example.com"

// What the Rancher player created is labelled so, and annotated with what it belongs to, so it
// can remove it when its owner goes, as Rancher would.
const (
	labelPlayedBy   = "e2e.tenantcluster.io/played-by"
	annotationOwner = "e2e.tenantcluster.io/owner"
)

// installRancher creates what every Rancher installation has before any registration: the
// Fleet workspace namespace imported clusters go into, and the namespace of the "local"
// (management) cluster, where projects of the local cluster live.
func (cp *ControlPlane) installRancher(ctx context.Context) error {
	for _, ns := range []string{"fleet-default", "local", "cattle-system"} {
		if err := cp.Host.ApplyObject(ctx, object(gvkNamespace, "", ns, nil)); err != nil {
			return err
		}
	}
	return nil
}

// playRancher does Rancher's part of a registration and of projects.
func (cp *ControlPlane) playRancher(ctx context.Context) error {
	return errors.Join(cp.playClusters(ctx), cp.playProjects(ctx), cp.forgetDeleted(ctx))
}

// rancherClusterID is the management cluster Rancher names for a provisioning Cluster:
// c-m-<8 characters>, stable for the object.
func rancherClusterID(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return "c-m-" + hex.EncodeToString(sum[:])[:8]
}

// playClusters: for a new imported Cluster, Rancher creates the management Cluster, its
// namespace, the registration token and the token's Secret, then reports the name in
// status.clusterName. The management Cluster turns Connected once Rancher's agent runs in the
// virtual cluster.
func (cp *ControlPlane) playClusters(ctx context.Context) error {
	clusters, err := cp.Host.List(ctx, gvkProvCluster, "")
	if err != nil {
		return err
	}
	var errs []error
	for i := range clusters {
		c := &clusters[i]
		if c.GetDeletionTimestamp() != nil {
			continue
		}
		id, _, _ := unstructured.NestedString(c.Object, "status", "clusterName")
		if id == "" {
			errs = append(errs, cp.createRancherCluster(ctx, c.GetNamespace(), c.GetName(), rancherClusterID(string(c.GetUID()))))
			continue
		}
		errs = append(errs, cp.connectAgent(ctx, c.GetNamespace(), c.GetName(), id))
	}
	return errors.Join(errs...)
}

// tokenSecretName is the Secret Rancher 2.13.8, 2.14.4, 2.15.0 and later keep a
// ClusterRegistrationToken's token in (status.tokenSecretName), key "token".
const tokenSecretName = "crt-token-default-token" //nolint:gosec // a Secret's name, not a credential

// createRancherCluster creates what Rancher does for a new imported cluster. The token is in
// its Secret only: the ClusterRegistrationToken's status carries the "{token}" placeholder in
// its manifestUrl and command, as Rancher's does since the token moved out of it.
func (cp *ControlPlane) createRancherCluster(ctx context.Context, ns, name, id string) error {
	owner := ns + "." + name
	played := map[string]any{"labels": map[string]any{labelPlayedBy: "rancher"}, "annotations": map[string]any{annotationOwner: owner}}
	nsObj := object(gvkNamespace, "", id, map[string]any{"metadata": played})
	mgmt := object(gvkMgmtCluster, "", id, map[string]any{
		"metadata": played,
		"spec":     map[string]any{"displayName": name, "fleetWorkspaceName": ns, "imported": true},
	})
	token, err := cp.rancher.newToken(id)
	if err != nil {
		return err
	}
	manifestURL := RancherURL + "/v3/import/{token}_" + id + ".yaml"
	crt := object(gvkToken, id, "default-token", map[string]any{"spec": map[string]any{"clusterName": id}})
	secret := object(gvkSecret, id, tokenSecretName, map[string]any{
		"type": "Opaque",
		"data": map[string]any{"token": base64.StdEncoding.EncodeToString([]byte(token))},
	})
	for _, step := range []func() error{
		func() error { return cp.Host.ApplyObject(ctx, nsObj) },
		func() error { return cp.Host.ApplyObject(ctx, mgmt) },
		func() error {
			mgmt.Object["status"] = map[string]any{"conditions": []any{
				condition("Connected", "False", "", "cluster agent is not connected"),
				condition("Ready", "False", "", ""),
			}}
			return cp.Host.ApplyStatus(ctx, mgmt)
		},
		func() error { return cp.Host.ApplyObject(ctx, crt) },
		func() error { return cp.Host.ApplyObject(ctx, secret) },
		func() error {
			crt.Object["status"] = map[string]any{
				"tokenSecretName": tokenSecretName,
				"manifestUrl":     manifestURL,
				"command":         "kubectl apply -f " + manifestURL,
				"insecureCommand": "curl --insecure -sfL " + manifestURL + " | kubectl apply -f -",
			}
			return cp.Host.ApplyStatus(ctx, crt)
		},
		func() error {
			return cp.Host.ApplyStatus(ctx, object(gvkProvCluster, ns, name, map[string]any{"status": map[string]any{
				"clusterName": id, "fleetWorkspaceName": ns,
				"conditions": []any{condition("Ready", "False", "", "waiting for cluster agent to connect")},
			}}))
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	cp.opts.Logf("rancher player: cluster %s/%s is %s (registration token in Secret %s/%s)", ns, name, id, id, tokenSecretName)
	return nil
}

// agentNamespace and agentDeployment are where Rancher's import manifest runs its agent.
const (
	agentNamespace  = "cattle-system"
	agentDeployment = "cattle-cluster-agent"
)

// connectAgent marks the cluster connected once the virtual cluster runs a pod of Rancher's
// agent: the import manifest was applied, its Deployment made a ReplicaSet and that a Pod, which
// the virtual API server's Pod Security admission let in. The pod cannot start (the stand-in has
// no kubelet), so this is where the player takes the agent's word that it would dial Rancher.
func (cp *ControlPlane) connectAgent(ctx context.Context, ns, name, id string) error {
	mgmt, found, err := cp.Host.Get(ctx, gvkMgmtCluster, "", id)
	if err != nil || !found {
		return err
	}
	if Condition(mgmt, "Connected").Status == "True" {
		return nil
	}
	vc := cp.StandIn(name)
	if vc == nil {
		return nil
	}
	pod, err := AgentPod(ctx, vc)
	if err != nil || pod == "" {
		return nil //nolint:nilerr // the virtual cluster may not serve yet; try again next round
	}
	connected := map[string]any{"conditions": []any{
		condition("Connected", "True", "", ""), condition("Ready", "True", "", ""),
	}}
	if err := cp.Host.ApplyStatus(ctx, object(gvkMgmtCluster, "", id, map[string]any{"status": connected})); err != nil {
		return err
	}
	cp.opts.Logf("rancher player: agent of %s connected (pod %s/%s admitted in the virtual cluster)", id, agentNamespace, pod)
	return cp.Host.ApplyStatus(ctx, object(gvkProvCluster, ns, name, map[string]any{"status": map[string]any{
		"clusterName": id, "fleetWorkspaceName": ns, "ready": true,
		"conditions": []any{condition("Ready", "True", "", "")},
	}}))
}

// AgentPod names a pod of Rancher's agent Deployment in a virtual cluster ("" while there is
// none): a Pod in cattle-system owned by a ReplicaSet that the cattle-cluster-agent Deployment
// owns.
func AgentPod(ctx context.Context, vc *Cluster) (string, error) {
	sets, err := vc.List(ctx, gvkReplicaSet, agentNamespace)
	if err != nil {
		return "", err
	}
	agentSets := map[string]bool{}
	for _, rs := range sets {
		for _, o := range rs.GetOwnerReferences() {
			if o.Kind == "Deployment" && o.Name == agentDeployment {
				agentSets[string(rs.GetUID())] = true
			}
		}
	}
	pods, err := vc.List(ctx, gvkPod, agentNamespace)
	if err != nil {
		return "", err
	}
	for _, p := range pods {
		for _, o := range p.GetOwnerReferences() {
			if o.Kind == "ReplicaSet" && agentSets[string(o.UID)] && p.GetDeletionTimestamp() == nil {
				return p.GetName(), nil
			}
		}
	}
	return "", nil
}

// playProjects backs each new Project with a namespace, as Rancher does, and reports it in
// status.backingNamespace (Projects have no status subresource).
func (cp *ControlPlane) playProjects(ctx context.Context) error {
	projects, err := cp.Host.List(ctx, gvkProject, "")
	if err != nil {
		return err
	}
	var errs []error
	for i := range projects {
		p := &projects[i]
		if b, _, _ := unstructured.NestedString(p.Object, "status", "backingNamespace"); b != "" || p.GetDeletionTimestamp() != nil {
			continue
		}
		backing := p.GetNamespace() + "-" + p.GetName()
		nsObj := object(gvkNamespace, "", backing, map[string]any{"metadata": map[string]any{
			"labels":      map[string]any{labelPlayedBy: "rancher"},
			"annotations": map[string]any{annotationOwner: "project." + p.GetNamespace() + "." + p.GetName()},
		}})
		if err := cp.Host.ApplyObject(ctx, nsObj); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, cp.Host.MergePatch(ctx, gvkProject, p.GetNamespace(), p.GetName(), map[string]any{
			"status": map[string]any{
				"backingNamespace": backing,
				"conditions":       []any{condition("BackingNamespaceCreated", "True", "", "")},
			},
		}))
	}
	return errors.Join(errs...)
}

// forgetDeleted removes what Rancher removes when a cluster or project goes: its management
// Cluster and namespaces.
func (cp *ControlPlane) forgetDeleted(ctx context.Context) error {
	var errs []error
	namespaces, err := cp.Host.List(ctx, gvkNamespace, "")
	if err != nil {
		return err
	}
	mgmts, err := cp.Host.List(ctx, gvkMgmtCluster, "")
	if err != nil {
		return err
	}
	all := append(namespaces, mgmts...)
	for i := range all {
		o := &all[i]
		owner := o.GetAnnotations()[annotationOwner]
		if o.GetLabels()[labelPlayedBy] != "rancher" || owner == "" || o.GetDeletionTimestamp() != nil {
			continue
		}
		gvkOwner, ns, name := gvkProvCluster, "", ""
		if rest, ok := strings.CutPrefix(owner, "project."); ok {
			gvkOwner = gvkProject
			ns, name, _ = strings.Cut(rest, ".")
		} else {
			ns, name, _ = strings.Cut(owner, ".")
		}
		_, found, err := cp.Host.Get(ctx, gvkOwner, ns, name)
		if err != nil || found {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, cp.Host.Delete(ctx, o.GroupVersionKind(), "", o.GetName()))
	}
	return errors.Join(errs...)
}
