package controlplane

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// releaseFinalizer is the finalizer provider-helm (crossplane-runtime's managed reconciler) puts
// on every Release it manages.
const releaseFinalizer = "finalizer.managedresource.crossplane.io"

// standIn is a kube-apiserver and its controller manager standing in for one tenant's virtual
// cluster: a vcluster runs both (the syncer and scheduler are what it adds, and what cannot run
// here). Without the namespace controller, a namespace deleted inside would never go.
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

// playHelm does, for every Release, what provider-helm and the installed vcluster would.
func (cp *ControlPlane) playHelm(ctx context.Context) error {
	releases, err := cp.Host.List(ctx, gvkRelease, "")
	if err != nil {
		return err
	}
	var errs []error
	for i := range releases {
		rel := &releases[i]
		if rel.GetDeletionTimestamp() != nil {
			errs = append(errs, cp.uninstall(ctx, rel))
			continue
		}
		errs = append(errs, cp.install(ctx, rel))
	}
	return errors.Join(errs...)
}

func tenantIDOf(rel *unstructured.Unstructured) string {
	return strings.TrimSuffix(rel.GetName(), "-vcluster")
}

// install brings the stand-in up, writes the syncer's kubeconfig Secrets, then does
// provider-helm's part: finalizer, connection secret, deployed status.
func (cp *ControlPlane) install(ctx context.Context, rel *unstructured.Unstructured) error {
	id := tenantIDOf(rel)
	s, err := cp.ensureStandIn(ctx, id, rel)
	if err != nil {
		return err
	}
	if !slices.Contains(rel.GetFinalizers(), releaseFinalizer) {
		err := cp.Host.MergePatch(ctx, gvkRelease, "", rel.GetName(), map[string]any{
			"metadata": map[string]any{"finalizers": append(rel.GetFinalizers(), releaseFinalizer)},
		})
		if err != nil {
			return err
		}
	}
	if err := cp.writeSyncerSecrets(ctx, rel, s); err != nil {
		return err
	}
	if err := cp.publishConnection(ctx, rel); err != nil {
		return err
	}
	if state, _, _ := unstructured.NestedString(rel.Object, "status", "atProvider", "state"); state == "deployed" {
		return nil
	}
	status := object(gvkRelease, "", rel.GetName(), map[string]any{"status": map[string]any{
		"conditions": []any{
			condition("Ready", "True", "Available", ""),
			condition("Synced", "True", "ReconcileSuccess", ""),
		},
		"atProvider": map[string]any{
			"state": "deployed", "releaseDescription": "Install complete", "revision": int64(1),
		},
	}})
	return cp.Host.ApplyStatus(ctx, status)
}

// ensureStandIn starts the tenant's stand-in API server once. It stores under its own etcd
// prefix, as a vcluster keeps its own store, and reads the admission configuration the
// Release's values give the virtual API server (admissionArgs).
func (cp *ControlPlane) ensureStandIn(ctx context.Context, id string, rel *unstructured.Unstructured) (*standIn, error) {
	cp.mu.Lock()
	s := cp.standIns[id]
	cp.mu.Unlock()
	if s != nil {
		return s, nil
	}
	extra, err := admissionArgs(rel, filepath.Join(cp.Dir, "vcluster-"+id))
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", rel.GetName(), err)
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

// admissionArgs are the virtual API server's flags that name files, with the files written under
// root exactly as the chart mounts them: --admission-control-config-file from
// controlPlane.distro.k8s.apiServer.extraArgs; the volume mounted at its folder
// (controlPlane.statefulSet.persistence.addVolumeMounts, addVolumes) is a ConfigMap, which the
// chart renders from experimental.deploy.host.manifests; the file is that ConfigMap's key of the
// same name. Any other extra argument is refused: the stand-in would not be the chart's API
// server any more.
func admissionArgs(rel *unstructured.Unstructured, root string) ([]string, error) {
	values, _, _ := unstructured.NestedMap(rel.Object, "spec", "forProvider", "values")
	args, _, _ := unstructured.NestedStringSlice(values, "controlPlane", "distro", "k8s", "apiServer", "extraArgs")
	var out []string
	for _, a := range args {
		path, ok := strings.CutPrefix(a, "--admission-control-config-file=")
		if !ok {
			return nil, fmt.Errorf("apiServer.extraArgs %q: not played", a)
		}
		data, err := mountedFile(values, path)
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

// mountedFile is the content of the file at path in the control plane's container: a key of a
// ConfigMap volume among the chart's added volumes, the ConfigMap one of the host manifests.
func mountedFile(values map[string]any, path string) (string, error) {
	persistence, _, _ := unstructured.NestedMap(values, "controlPlane", "statefulSet", "persistence")
	mounts, _, _ := unstructured.NestedSlice(persistence, "addVolumeMounts")
	volumes, _, _ := unstructured.NestedSlice(persistence, "addVolumes")
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
			cm, _, _ := unstructured.NestedString(vol, "configMap", "name")
			if cm == "" {
				return "", fmt.Errorf("volume %s is not a ConfigMap", vol["name"])
			}
			manifests, _, _ := unstructured.NestedString(values, "experimental", "deploy", "host", "manifests")
			objs, err := decodeAll([]byte(manifests))
			if err != nil {
				return "", fmt.Errorf("experimental.deploy.host.manifests: %w", err)
			}
			for _, o := range objs {
				if o.GetKind() != "ConfigMap" || o.GetName() != cm {
					continue
				}
				data, found, _ := unstructured.NestedString(o.Object, "data", key)
				if !found {
					return "", fmt.Errorf("ConfigMap %s has no key %s", cm, key)
				}
				return data, nil
			}
			return "", fmt.Errorf("ConfigMap %s is not among experimental.deploy.host.manifests", cm)
		}
		return "", fmt.Errorf("no volume %s among controlPlane.statefulSet.persistence.addVolumes", mount["name"])
	}
	return "", fmt.Errorf("no volume mounted at its folder (controlPlane.statefulSet.persistence.addVolumeMounts)")
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

// publishConnection copies spec.connectionDetails into the Release's connection secret, as
// provider-helm does, owned by the Release so it goes with it.
func (cp *ControlPlane) publishConnection(ctx context.Context, rel *unstructured.Unstructured) error {
	ref, found, _ := unstructured.NestedStringMap(rel.Object, "spec", "writeConnectionSecretToRef")
	if !found || ref["name"] == "" {
		return nil
	}
	details, _, _ := unstructured.NestedSlice(rel.Object, "spec", "connectionDetails")
	data := map[string]any{}
	for _, d := range details {
		m, _ := d.(map[string]any)
		if str(m["kind"]) != "Secret" {
			return fmt.Errorf("release %s: connection detail from a %s: only Secrets are played", rel.GetName(), m["kind"])
		}
		src, found, err := cp.Host.Get(ctx, gvkSecret, str(m["namespace"]), str(m["name"]))
		if err != nil || !found {
			continue // not written yet: provider-helm publishes what it can read
		}
		key := strings.TrimPrefix(str(m["fieldPath"]), "data.")
		if v, ok, _ := unstructured.NestedString(src.Object, "data", key); ok {
			data[str(m["toConnectionSecretKey"])] = v
		}
	}
	secret := object(gvkSecret, ref["namespace"], ref["name"], map[string]any{"data": data})
	secret.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: gvkRelease.GroupVersion().String(), Kind: gvkRelease.Kind,
		Name: rel.GetName(), UID: rel.GetUID(), Controller: ptr(true),
	}})
	return cp.Host.ApplyObject(ctx, secret)
}

// uninstall is the chart's removal: the stand-in stops, then provider-helm lets the Release go.
func (cp *ControlPlane) uninstall(ctx context.Context, rel *unstructured.Unstructured) error {
	id := tenantIDOf(rel)
	cp.mu.Lock()
	s := cp.standIns[id]
	delete(cp.standIns, id)
	cp.mu.Unlock()
	if s != nil {
		s.stop()
		cp.opts.Logf("vcluster stand-in for %s stopped (release deleted)", id)
	}
	if !slices.Contains(rel.GetFinalizers(), releaseFinalizer) {
		return nil
	}
	rest := slices.DeleteFunc(slices.Clone(rel.GetFinalizers()), func(f string) bool { return f == releaseFinalizer })
	return cp.Host.MergePatch(ctx, gvkRelease, "", rel.GetName(), map[string]any{
		"metadata": map[string]any{"finalizers": rest, "resourceVersion": rel.GetResourceVersion()},
	})
}

func ptr[T any](v T) *T { return &v }
