package controlplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RancherURL is the server URL the Rancher player answers with; the Composition's input names
// the same.
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
// namespace and the registration token, then reports the name in status.clusterName. The
// management Cluster turns Connected once the agent install has reached the virtual cluster.
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

func (cp *ControlPlane) createRancherCluster(ctx context.Context, ns, name, id string) error {
	owner := ns + "." + name
	played := map[string]any{"labels": map[string]any{labelPlayedBy: "rancher"}, "annotations": map[string]any{annotationOwner: owner}}
	nsObj := object(gvkNamespace, "", id, map[string]any{"metadata": played})
	mgmt := object(gvkMgmtCluster, "", id, map[string]any{
		"metadata": played,
		"spec":     map[string]any{"displayName": name, "fleetWorkspaceName": ns, "imported": true},
	})
	token := "e2etoken" + rancherClusterID(id + "token")[4:] + rancherClusterID(id + "secret")[4:]
	manifestURL := RancherURL + "/v3/import/" + token + "_" + id + ".yaml"
	crt := object(gvkToken, id, "default-token", map[string]any{"spec": map[string]any{"clusterName": id}})
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
		func() error {
			crt.Object["status"] = map[string]any{
				"token": token, "manifestUrl": manifestURL,
				"command": "kubectl apply -f " + manifestURL,
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
	cp.opts.Logf("rancher player: cluster %s/%s is %s", ns, name, id)
	return nil
}

// connectAgent marks the cluster connected once the import Job exists in the tenant's virtual
// cluster: the agent it installs would connect to Rancher from there. The Job itself cannot run
// here (the stand-in has no kubelet), so this is where the player takes the agent's word.
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
	jobs, err := vc.List(ctx, gvkJob, "cattle-system")
	if err != nil {
		return nil //nolint:nilerr // the virtual cluster may not serve yet; try again next round
	}
	installed := false
	for _, j := range jobs {
		installed = installed || strings.HasPrefix(j.GetName(), "rancher-import-")
	}
	if !installed {
		return nil
	}
	connected := map[string]any{"conditions": []any{
		condition("Connected", "True", "", ""), condition("Ready", "True", "", ""),
	}}
	if err := cp.Host.ApplyStatus(ctx, object(gvkMgmtCluster, "", id, map[string]any{"status": connected})); err != nil {
		return err
	}
	cp.opts.Logf("rancher player: agent of %s connected", id)
	return cp.Host.ApplyStatus(ctx, object(gvkProvCluster, ns, name, map[string]any{"status": map[string]any{
		"clusterName": id, "fleetWorkspaceName": ns, "ready": true,
		"conditions": []any{condition("Ready", "True", "", "")},
	}}))
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
