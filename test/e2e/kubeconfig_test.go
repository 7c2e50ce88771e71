package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

var gvkSecret = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}

// assertTenantKubeconfigWorks checks what the tenant gets: the claim's connection secret holds a
// kubeconfig, and with it the tenant reaches its own virtual cluster, where Rancher's agent
// namespace is visible (created by Rancher's import manifest, which the registrar applied).
func assertTenantKubeconfigWorks(t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	name, _, _ := unstructured.NestedString(claim.Object, "spec", "writeConnectionSecretToRef", "name")
	var kubeconfig []byte
	eventually(t, time.Minute, "the claim's connection secret holds the kubeconfig", func() (bool, string) {
		s, found, err := cp.Host.Get(runCtx, gvkSecret, claim.GetNamespace(), name)
		if err != nil || !found {
			return false, fmt.Sprintf("secret %s/%s: found=%v %v", claim.GetNamespace(), name, found, err)
		}
		v, _, _ := unstructured.NestedString(s.Object, "data", "kubeconfig")
		kubeconfig, err = base64.StdEncoding.DecodeString(v)
		return err == nil && len(kubeconfig) > 0, fmt.Sprintf("data.kubeconfig: %d bytes, %v", len(kubeconfig), err)
	})
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatalf("the claim's kubeconfig does not load: %v", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(runCtx, 30*time.Second)
	defer cancel()
	list, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("the claim's kubeconfig does not reach the virtual cluster: %v", err)
	}
	var names []string
	for _, n := range list.Items {
		names = append(names, n.GetName())
	}
	if !slices.Contains(names, "cattle-system") {
		t.Errorf("the tenant's virtual cluster has namespaces %v, not Rancher's cattle-system", names)
	}
}
