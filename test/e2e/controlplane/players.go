package controlplane

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The harness plays the parts that cannot run on this machine, each in the open, each doing
// only what the real one does and only what the function's resources ask of it:
//
//   - The vcluster control plane's pod (vclusterplayer.go): the real provider-helm installs the
//     real chart and the host's StatefulSet controller makes the Pod, but no kubelet runs it.
//     Once the Pod exists (the host's admission let it in), the player starts what it would
//     run: a real kube-apiserver standing in for the virtual cluster's API server, with the Pod
//     Security admission configuration the installed chart mounts, and a
//     kube-controller-manager that turns Deployments into (Pending) Pods; and it writes the
//     kubeconfig Secrets the vcluster syncer would.
//   - Rancher answering a registration (rancherplayer.go, rancherserver.go): Rancher's
//     controllers name the cluster, create its management Cluster, registration token and token
//     Secret, back projects with namespaces, and mark the cluster connected once its agent's pod
//     runs in the virtual cluster; Rancher's server answers the import request on loopback.
//   - The Job controller and kubelet for the registrar Jobs (registrarplayer.go): the Job's own
//     script runs on this machine as the Job's ServiceAccount.
//   - The logging-operator's status on the tenants' Loggings, Flows and Outputs
//     (loggingplayer.go): taken, or a Flow's dangling output reference as the operator reports
//     it. The aggregator itself (fluentd) is not run.
//
// Everything else (every Object and Release, the chart, the XR, the Usages, garbage collection)
// is the real component.

// playInterval is how often the players look for work.
const playInterval = 500 * time.Millisecond

var (
	gvkRelease     = schema.GroupVersionKind{Group: "helm.crossplane.io", Version: "v1beta1", Kind: "Release"}
	gvkSecret      = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	gvkNamespace   = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	gvkJob         = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	gvkReplicaSet  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	gvkPod         = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	gvkProvCluster = schema.GroupVersionKind{Group: "provisioning.cattle.io", Version: "v1", Kind: "Cluster"}
	gvkMgmtCluster = schema.GroupVersionKind{Group: "management.cattle.io", Version: "v3", Kind: "Cluster"}
	gvkToken       = schema.GroupVersionKind{Group: "management.cattle.io", Version: "v3", Kind: "ClusterRegistrationToken"}
	gvkProject     = schema.GroupVersionKind{Group: "management.cattle.io", Version: "v3", Kind: "Project"}
)

// startPlayers runs the players until Stop.
func (cp *ControlPlane) startPlayers() {
	cp.play("vcluster player (what the control plane pod runs)", cp.playVClusters)
	cp.play("rancher player (Rancher's controllers)", cp.playRancher)
	cp.play("registrar player (the registrar Job's pod, run on this machine)", cp.playRegistrars)
	cp.play("logging player (the logging-operator's status)", cp.playLogging)
}

// play runs a player's round every playInterval until Stop. A round's error is logged (once
// while it repeats) and retried on the next round, as a controller would.
func (cp *ControlPlane) play(name string, round func(context.Context) error) {
	cp.played.Add(1)
	go func() {
		defer cp.played.Done()
		last := ""
		for {
			if err := round(cp.playCtx); err != nil && cp.playCtx.Err() == nil && err.Error() != last {
				last = err.Error()
				cp.opts.Logf("%s: %v", name, err)
			}
			select {
			case <-cp.playCtx.Done():
				return
			case <-time.After(playInterval):
			}
		}
	}()
}

// ConditionView is one status condition of an object; the zero value when it has none of that type.
type ConditionView struct {
	Type, Status, Reason, Message string
}

// Condition reads status.conditions[type=t]; a nil object has none.
func Condition(o *unstructured.Unstructured, t string) ConditionView {
	if o == nil {
		return ConditionView{Type: t}
	}
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != t {
			continue
		}
		return ConditionView{Type: t, Status: str(m["status"]), Reason: str(m["reason"]), Message: str(m["message"])}
	}
	return ConditionView{Type: t}
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func condition(t, status, reason, message string) map[string]any {
	c := map[string]any{"type": t, "status": status, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
	if reason != "" {
		c["reason"] = reason
	}
	if message != "" {
		c["message"] = message
	}
	return c
}

func object(gvk schema.GroupVersionKind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: fields}
	if o.Object == nil {
		o.Object = map[string]any{}
	}
	o.SetGroupVersionKind(gvk)
	o.SetName(name)
	if ns != "" {
		o.SetNamespace(ns)
	}
	return o
}
