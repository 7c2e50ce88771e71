package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// fieldManager names the harness in managedFields: what it applied is told apart from what
// Crossplane and the providers wrote.
const fieldManager = "tenantcluster-e2e"

// Cluster is a client for one API server of the control plane.
type Cluster struct {
	Name   string
	URL    string
	CAFile string
	caPEM  []byte
	config *rest.Config
	dyn    dynamic.Interface
	mapper meta.ResettableRESTMapper
}

func newCluster(name, url, caFile string) (*Cluster, error) {
	ca, err := os.ReadFile(caFile) //nolint:gosec // the harness's own CA file
	if err != nil {
		return nil, err
	}
	cfg := &rest.Config{
		Host:            url,
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		QPS:             200,
		Burst:           400,
		// Deprecation notices (XRD v1) would repeat on every poll.
		WarningHandler: rest.NoWarnings{},
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &Cluster{Name: name, URL: url, CAFile: caFile, caPEM: ca, config: cfg, dyn: dyn, mapper: mapper}, nil
}

// Kubeconfig is a kubeconfig for this API server with the admin token: what kubectl, Crossplane
// and the providers use.
func (c *Cluster) Kubeconfig() []byte {
	return kubeconfig(c.Name, c.URL, c.caPEM)
}

func kubeconfig(name, url string, ca []byte) []byte {
	return kubeconfigFor(name, url, ca, "", map[string]any{"token": adminToken})
}

// kubeconfigFor is a kubeconfig for one API server, user and (optionally) namespace.
func kubeconfigFor(name, url string, ca []byte, namespace string, user map[string]any) []byte {
	context := map[string]any{"cluster": name, "user": "user"}
	if namespace != "" {
		context["namespace"] = namespace
	}
	cfg := map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": name,
		"clusters": []any{map[string]any{"name": name, "cluster": map[string]any{
			"server": url, "certificate-authority-data": ca,
		}}},
		"users":    []any{map[string]any{"name": "user", "user": user}},
		"contexts": []any{map[string]any{"name": name, "context": context}},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		panic(err) // a map of strings and bytes always marshals
	}
	return out
}

// Resource is the dynamic client for gvk, namespaced when ns is not empty. The REST mapping is
// looked up again once when a kind is unknown: CRDs and XRDs add kinds while the harness runs.
func (c *Cluster) Resource(gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		return c.dyn.Resource(m.Resource), nil
	}
	return c.dyn.Resource(m.Resource).Namespace(ns), nil
}

// Get reads one object; found is false when it does not exist.
func (c *Cluster) Get(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) (*unstructured.Unstructured, bool, error) {
	r, err := c.Resource(gvk, ns)
	if err != nil {
		return nil, false, err
	}
	u, err := r.Get(ctx, name, metav1.GetOptions{})
	if isNotFound(err) {
		return nil, false, nil
	}
	return u, err == nil, err
}

// List lists gvk in ns, or in every namespace when ns is empty.
func (c *Cluster) List(ctx context.Context, gvk schema.GroupVersionKind, ns string) ([]unstructured.Unstructured, error) {
	r, err := c.Resource(gvk, ns)
	if err != nil {
		return nil, err
	}
	l, err := r.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Apply server-side applies every object in a multi-document YAML stream.
func (c *Cluster) Apply(ctx context.Context, manifests []byte) error {
	objs, err := decodeAll(manifests)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := c.ApplyObject(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// ApplyFile applies a YAML file.
func (c *Cluster) ApplyFile(ctx context.Context, path string) error {
	data, err := os.ReadFile(path) //nolint:gosec // a manifest the test names
	if err != nil {
		return err
	}
	if err := c.Apply(ctx, data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ApplyObject server-side applies one object, taking over fields others set.
func (c *Cluster) ApplyObject(ctx context.Context, o *unstructured.Unstructured) error {
	return c.apply(ctx, o)
}

// ApplyStatus server-side applies the status subresource of o.
func (c *Cluster) ApplyStatus(ctx context.Context, o *unstructured.Unstructured) error {
	return c.apply(ctx, o, "status")
}

func (c *Cluster) apply(ctx context.Context, o *unstructured.Unstructured, sub ...string) error {
	r, err := c.Resource(o.GroupVersionKind(), o.GetNamespace())
	if err != nil {
		return err
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	_, err = r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: fieldManager, Force: &force}, sub...)
	if err != nil {
		return fmt.Errorf("apply %s%s %s/%s: %w", o.GetKind(), strings.Join(append([]string{""}, sub...), "/"), o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// MergePatch merge-patches an object (or a subresource).
func (c *Cluster) MergePatch(ctx context.Context, gvk schema.GroupVersionKind, ns, name string, patch any, sub ...string) error {
	r, err := c.Resource(gvk, ns)
	if err != nil {
		return err
	}
	data, err := toJSON(patch)
	if err != nil {
		return err
	}
	_, err = r.Patch(ctx, name, types.MergePatchType, data, metav1.PatchOptions{}, sub...)
	return err
}

// UpdateStatus writes o's status as read, modified and unchanged otherwise: a conflict (someone
// wrote in between) is returned for the caller to read again, so no one's status is lost.
func (c *Cluster) UpdateStatus(ctx context.Context, o *unstructured.Unstructured) error {
	r, err := c.Resource(o.GroupVersionKind(), o.GetNamespace())
	if err != nil {
		return err
	}
	_, err = r.UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: fieldManager})
	return err
}

// Delete deletes an object; an object already gone is not an error.
func (c *Cluster) Delete(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) error {
	r, err := c.Resource(gvk, ns)
	if err != nil {
		return err
	}
	if err := r.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// RawGet is a GET on a path of the API server, e.g. /readyz.
func (c *Cluster) RawGet(ctx context.Context, path string) ([]byte, error) {
	client, err := rest.HTTPClientFor(c.config)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	return io.ReadAll(resp.Body)
}

func decodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

func toJSON(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return json.Marshal(v)
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

func httpsClient(caFile string) (*http.Client, error) {
	ca, err := os.ReadFile(caFile) //nolint:gosec // the harness's own CA file
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// warnings collects the warnings an API server sends with its answers.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// DryRunCreate creates o with a server-side dry run: every admission plugin judges it and
// nothing is stored. It returns the API server's warnings (Pod Security's warn level among them)
// and its refusal, if any.
func (c *Cluster) DryRunCreate(ctx context.Context, o *unstructured.Unstructured) ([]string, error) {
	w := &warnings{}
	cfg := rest.CopyConfig(c.config)
	cfg.WarningHandler = w
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	m, err := c.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
	if err != nil {
		return nil, err
	}
	var r dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() != meta.RESTScopeNameRoot {
		r = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	_, err = r.Create(ctx, o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.list, err
}
