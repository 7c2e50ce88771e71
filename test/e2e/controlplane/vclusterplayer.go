package controlplane

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// The vcluster player: what the vcluster control plane does once its pod runs. provider-helm is
// real (it installs the real chart into the host, whose StatefulSet controller makes the
// control plane's Pod, judged by the host's admission); a pod cannot run here (no kubelet), so
// once that Pod exists the player starts what the pod would run: an API server and a controller
// manager (a vcluster *is* both; its syncer and scheduler are what it adds) with the admission
// configuration the installed chart gives it, and it writes the kubeconfig Secrets the syncer
// writes. When the Release is deleted (provider-helm uninstalls the chart), the stand-in stops.

var (
	gvkStatefulSet = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
	gvkConfigMap   = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

// standIn is a kube-apiserver and its controller manager standing in for one tenant's virtual
// cluster. Without the namespace controller, a namespace deleted inside would never go.
type standIn struct {
	api         *apiServer
	controllers *process
	cluster     *Cluster
}

func (s *standIn) stop() {
	s.controllers.stop()
	s.api.stop()
}

// StandIn is the client of the API server standing in for a tenant's virtual cluster, by the
// tenant's id (the Release's name without "-vcluster"); nil while there is none.
func (cp *ControlPlane) StandIn(tenantID string) *Cluster {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if s := cp.standIns[tenantID]; s != nil {
		return s.cluster
	}
	return nil
}

// StandIns counts the running stand-ins.
func (cp *ControlPlane) StandIns() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return len(cp.standIns)
}

// playVClusters starts a stand-in for every Release whose control plane Pod exists, and stops
// those whose Release is being deleted or gone.
func (cp *ControlPlane) playVClusters(ctx context.Context) error {
	releases, err := cp.Host.List(ctx, gvkRelease, "")
	if err != nil {
		return err
	}
	live := map[string]bool{}
	var errs []error
	for i := range releases {
		rel := &releases[i]
		if rel.GetDeletionTimestamp() != nil {
			continue
		}
		live[tenantIDOf(rel)] = true
		errs = append(errs, cp.runVCluster(ctx, rel))
	}
	cp.mu.Lock()
	var gone []string
	for id := range cp.standIns {
		if !live[id] {
			gone = append(gone, id)
		}
	}
	cp.mu.Unlock()
	for _, id := range gone {
		cp.stopStandIn(id)
	}
	return errors.Join(errs...)
}

func tenantIDOf(rel *unstructured.Unstructured) string {
	return strings.TrimSuffix(rel.GetName(), "-vcluster")
}

// releaseName is the Helm release's name: the Release's external name.
func releaseName(rel *unstructured.Unstructured) string {
	if n := rel.GetAnnotations()["crossplane.io/external-name"]; n != "" {
		return n
	}
	return rel.GetName()
}

// runVCluster starts the stand-in once the chart's control plane Pod exists (the first replica
// is enough, as for a vcluster), then writes the syncer's Secrets.
func (cp *ControlPlane) runVCluster(ctx context.Context, rel *unstructured.Unstructured) error {
	ns, _, _ := unstructured.NestedString(rel.Object, "spec", "forProvider", "namespace")
	name := releaseName(rel)
	if _, found, err := cp.Host.Get(ctx, gvkPod, ns, name+"-0"); err != nil || !found {
		return err // not admitted (yet): no virtual cluster
	}
	s, err := cp.ensureStandIn(ctx, tenantIDOf(rel), ns, name)
	if err != nil {
		return err
	}
	return cp.writeSyncerSecrets(ctx, rel, s)
}

func (cp *ControlPlane) stopStandIn(id string) {
	cp.mu.Lock()
	s := cp.standIns[id]
	delete(cp.standIns, id)
	cp.mu.Unlock()
	if s != nil {
		s.stop()
		cp.opts.Logf("vcluster stand-in for %s stopped (release deleted)", id)
	}
}

// ensureStandIn starts the tenant's stand-in API server once. It stores under its own etcd
// prefix, as a vcluster keeps its own store, and runs with the admission configuration the
// installed chart gives the virtual API server (admissionArgs).
func (cp *ControlPlane) ensureStandIn(ctx context.Context, id, ns, release string) (*standIn, error) {
	cp.mu.Lock()
	s := cp.standIns[id]
	cp.mu.Unlock()
	if s != nil {
		return s, nil
	}
	extra, err := cp.admissionArgs(ctx, ns, release, filepath.Join(cp.Dir, "vcluster-"+id))
	if err != nil {
		return nil, fmt.Errorf("release %s/%s: %w", ns, release, err)
	}
	api, err := startAPIServer(ctx, cp.opts.Bins, cp.Dir, "vcluster-"+id, cp.etcd, "/vcluster/"+id, true, extra)
	if err != nil {
		return nil, err
	}
	cluster, err := newCluster(id, api.url, cp.caFile())
	if err != nil {
		api.stop()
		return nil, err
	}
	kubeconfigPath := filepath.Join(cp.Dir, "vcluster-"+id+".kubeconfig")
	if err := os.WriteFile(kubeconfigPath, cluster.Kubeconfig(), 0o600); err != nil {
		api.stop()
		return nil, err
	}
	controllers, err := startControllerManager(cp.opts.Bins, cp.Dir, "vcluster-"+id+"-controllers", kubeconfigPath, virtualControllers)
	if err != nil {
		api.stop()
		return nil, err
	}
	s = &standIn{api: api, controllers: controllers, cluster: cluster}
	cp.mu.Lock()
	cp.standIns[id] = s
	cp.mu.Unlock()
	cp.opts.Logf("vcluster stand-in for %s ready at %s %v", id, api.url, extra)
	return s, nil
}

// admissionArgs are the virtual API server's flags that name files, read from what Helm
// installed, with the files written under root where the pod would see them: the flag from
// controlPlane.distro.k8s.apiServer.extraArgs of the chart's config Secret vc-config-<release>
// (the values Helm rendered, which the vcluster reads at start), the file from the volume the
// installed StatefulSet mounts at its folder, a ConfigMap the chart created on the host. Any
// other extra argument is refused: the stand-in would not be the chart's API server any more.
func (cp *ControlPlane) admissionArgs(ctx context.Context, ns, release, root string) ([]string, error) {
	config, found, err := cp.Host.Get(ctx, gvkSecret, ns, "vc-config-"+release)
	if err != nil || !found {
		return nil, fmt.Errorf("the chart's config Secret vc-config-%s: found=%v %w", release, found, err)
	}
	encoded, _, _ := unstructured.NestedString(config.Object, "data", "config.yaml")
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, err
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return nil, fmt.Errorf("vc-config-%s: %w", release, err)
	}
	args, _, _ := unstructured.NestedStringSlice(values, "controlPlane", "distro", "k8s", "apiServer", "extraArgs")
	var out []string
	for _, a := range args {
		path, ok := strings.CutPrefix(a, "--admission-control-config-file=")
		if !ok {
			return nil, fmt.Errorf("apiServer.extraArgs %q: not played", a)
		}
		data, err := cp.mountedFile(ctx, ns, release, path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		local := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(local), 0o750); err != nil {
			return nil, err
		}
		if err := os.WriteFile(local, []byte(data), 0o600); err != nil {
			return nil, err
		}
		out = append(out, "--admission-control-config-file="+local)
	}
	return out, nil
}

// mountedFile is the content of the file at path in the installed control plane's container:
// the key of a ConfigMap volume the StatefulSet's pod template mounts at the file's folder.
func (cp *ControlPlane) mountedFile(ctx context.Context, ns, release, path string) (string, error) {
	sts, found, err := cp.Host.Get(ctx, gvkStatefulSet, ns, release)
	if err != nil || !found {
		return "", fmt.Errorf("StatefulSet %s: found=%v %w", release, found, err)
	}
	podSpec, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	containers, _, _ := unstructured.NestedSlice(podSpec, "containers")
	volumes, _, _ := unstructured.NestedSlice(podSpec, "volumes")
	for _, c := range containers {
		mounts, _, _ := unstructured.NestedSlice(c.(map[string]any), "volumeMounts")
		for _, m := range mounts {
			mount, _ := m.(map[string]any)
			key, ok := strings.CutPrefix(path, strings.TrimSuffix(str(mount["mountPath"]), "/")+"/")
			if !ok {
				continue
			}
			for _, v := range volumes {
				vol, _ := v.(map[string]any)
				if str(vol["name"]) != str(mount["name"]) {
					continue
				}
				name, _, _ := unstructured.NestedString(vol, "configMap", "name")
				if name == "" {
					return "", fmt.Errorf("volume %s is not a ConfigMap", vol["name"])
				}
				cm, found, err := cp.Host.Get(ctx, gvkConfigMap, ns, name)
				if err != nil || !found {
					return "", fmt.Errorf("ConfigMap %s/%s: found=%v %w", ns, name, found, err)
				}
				data, found, _ := unstructured.NestedString(cm.Object, "data", key)
				if !found {
					return "", fmt.Errorf("ConfigMap %s has no key %s", name, key)
				}
				return data, nil
			}
			return "", fmt.Errorf("the StatefulSet mounts %s, which is not among its volumes", mount["name"])
		}
	}
	return "", fmt.Errorf("the StatefulSet %s mounts nothing at the file's folder", release)
}

// writeSyncerSecrets writes what the vcluster syncer writes on the host: one kubeconfig Secret
// per exportKubeConfig.additionalSecrets entry, with the context the values name. The server is
// the stand-in's loopback URL, the only address of the virtual API here.
func (cp *ControlPlane) writeSyncerSecrets(ctx context.Context, rel *unstructured.Unstructured, s *standIn) error {
	secrets, _, _ := unstructured.NestedSlice(rel.Object, "spec", "forProvider", "values", "exportKubeConfig", "additionalSecrets")
	for _, e := range secrets {
		m, _ := e.(map[string]any)
		name, ns, context := str(m["name"]), str(m["namespace"]), str(m["context"])
		if name == "" || ns == "" {
			return fmt.Errorf("release %s: exportKubeConfig secret without name or namespace: %v", rel.GetName(), m)
		}
		if _, found, err := cp.Host.Get(ctx, gvkSecret, ns, name); err != nil || found {
			continue
		}
		secret := object(gvkSecret, ns, name, map[string]any{"data": map[string]any{
			"config": base64.StdEncoding.EncodeToString(kubeconfig(context, s.cluster.URL, s.cluster.caPEM)),
		}})
		if err := cp.Host.ApplyObject(ctx, secret); err != nil {
			return err
		}
	}
	return nil
}

// DataClaims names the volume claims of a tenant's data store in its host namespace, as the
// chart's StatefulSets' volumeClaimTemplates (named "data") make them: data-<statefulset>-<n>,
// with the etcd the chart deploys data-<release>-etcd-<n>.
func DataClaims(rel *unstructured.Unstructured) (namespace string, names []string) {
	values, _, _ := unstructured.NestedMap(rel.Object, "spec", "forProvider", "values")
	ns, _, _ := unstructured.NestedString(rel.Object, "spec", "forProvider", "namespace")
	statefulSet, replicas := releaseName(rel), intAt(values, 1, "controlPlane", "statefulSet", "highAvailability", "replicas")
	if deploy, _, _ := unstructured.NestedBool(values, "controlPlane", "backingStore", "etcd", "deploy", "enabled"); deploy {
		statefulSet += "-etcd"
		replicas = intAt(values, 1, "controlPlane", "backingStore", "etcd", "deploy", "statefulSet", "highAvailability", "replicas")
	}
	for i := range replicas {
		names = append(names, fmt.Sprintf("data-%s-%d", statefulSet, i))
	}
	return ns, names
}

// intAt reads a whole number from the values (JSON numbers decode as int64 or float64).
func intAt(m map[string]any, def int, path ...string) int {
	v, found, _ := unstructured.NestedFieldNoCopy(m, path...)
	if !found {
		return def
	}
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return def
}
