package controlplane

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	gvkCRD = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	gvkXRD = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositeResourceDefinition"}
)

// hostProviderConfigs are the ProviderConfigs named "default" that reach the host (for legacy
// and v2 XRs): the Composition's host and rancher targets.
var hostProviderConfigs = []schema.GroupVersionKind{
	{Group: "kubernetes.crossplane.io", Version: "v1alpha1", Kind: "ProviderConfig"},
	{Group: "helm.crossplane.io", Version: "v1beta1", Kind: "ProviderConfig"},
	{Group: "kubernetes.m.crossplane.io", Version: "v1alpha1", Kind: "ClusterProviderConfig"},
}

// installCRDs applies the upstream CRDs in ../shared/crds of everything that is not installed as
// a package (Crossplane's own, as its Helm chart would, Rancher's, the operators') and waits until
// all are established. The providers' CRDs come with their packages (packages.go). A CRD whose
// conversion webhook is served by nothing that runs here (sigstore's) converts by apiVersion only.
func (cp *ControlPlane) installCRDs(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(cp.opts.Shared, "crds", "*", "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRDs under %s/crds: is ../shared beside the clone?", cp.opts.Shared)
	}
	packaged := map[string]bool{}
	for _, p := range standInProviders {
		packaged[p.crds] = true
	}
	sort.Strings(files)
	var names []string
	for _, f := range files {
		if packaged[filepath.Base(filepath.Dir(f))] {
			continue
		}
		data, err := os.ReadFile(f) //nolint:gosec // a CRD file under ../shared/crds
		if err != nil {
			return err
		}
		objs, err := decodeAll(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			if strategy, _, _ := unstructured.NestedString(o.Object, "spec", "conversion", "strategy"); strategy == "Webhook" {
				_ = unstructured.SetNestedMap(o.Object, map[string]any{"strategy": "None"}, "spec", "conversion")
			}
			if err := cp.Host.ApplyObject(ctx, o); err != nil {
				return err
			}
			names = append(names, o.GetName())
		}
	}
	return cp.waitEstablished(ctx, gvkCRD, names...)
}

// waitEstablished waits for the Established condition of every named object of gvk.
func (cp *ControlPlane) waitEstablished(ctx context.Context, gvk schema.GroupVersionKind, names ...string) error {
	return poll(ctx, 2*time.Minute, gvk.Kind+"s established", func() (bool, string, error) {
		for _, n := range names {
			o, found, err := cp.Host.Get(ctx, gvk, "", n)
			if err != nil || !found {
				return false, fmt.Sprintf("%s: found=%v %v", n, found, err), nil
			}
			if c := Condition(o, "Established"); c.Status != "True" {
				return false, n + " not established: " + c.Message, nil
			}
		}
		return true, "", nil
	})
}

// installPlatform is what a platform engineer installs: the Usage webhook registration, the
// packages (the Configuration, which brings the function, the providers, the XRD and the
// Composition), and ProviderConfigs for the host (which is also Rancher's management cluster
// here, as when Crossplane runs in Rancher's local cluster).
func (cp *ControlPlane) installPlatform(ctx context.Context) error {
	ca := base64.StdEncoding.EncodeToString(cp.ca.certPEM)
	kubeconfig := base64.StdEncoding.EncodeToString(cp.Host.Kubeconfig())
	platform := fmt.Sprintf(platformTemplate, addr(cp.pt.xpWebhook), ca, kubeconfig)
	if err := cp.Host.Apply(ctx, []byte(platform)); err != nil {
		return err
	}
	began := time.Now()
	if err := cp.installPackages(ctx, cp.opts.Version); err != nil {
		return err
	}
	cp.opts.Logf("packages installed at %s in %s", cp.opts.Version, time.Since(began).Round(100*time.Millisecond))
	for _, gvk := range hostProviderConfigs {
		pc := object(gvk, "", "default", map[string]any{"spec": map[string]any{"credentials": map[string]any{
			"source":    "Secret",
			"secretRef": map[string]any{"namespace": "crossplane-system", "name": "host-kubeconfig", "key": "kubeconfig"},
		}}})
		if err := cp.Host.ApplyObject(ctx, pc); err != nil {
			return err
		}
	}
	if err := cp.installRancher(ctx); err != nil {
		return err
	}
	return cp.waitEstablished(ctx, gvkXRD, "xtenantclusters.platform.tenantcluster.io")
}

func httpOK(url string) (bool, string) {
	resp, err := http.Get(url) //nolint:gosec // a loopback URL the harness built
	if err != nil {
		return false, err.Error()
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK, resp.Status
}

const platformTemplate = `
apiVersion: v1
kind: Namespace
metadata:
  name: crossplane-system
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: crossplane-no-usages
webhooks:
  - name: nousages.protection.crossplane.io
    admissionReviewVersions: [v1]
    clientConfig:
      url: https://%s/validate-no-usages
      caBundle: %s
    failurePolicy: Fail
    objectSelector:
      matchLabels:
        crossplane.io/in-use: "true"
    rules:
      - apiGroups: ["*"]
        apiVersions: ["*"]
        operations: [DELETE]
        resources: ["*"]
    sideEffects: None
---
apiVersion: v1
kind: Secret
metadata:
  name: host-kubeconfig
  namespace: crossplane-system
data:
  kubeconfig: %s
`
