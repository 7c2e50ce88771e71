package fn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestNothingComposedCarriesTheToken renders every example at every step of the Rancher
// registration and checks what the token's path is made of: no composed resource targets the
// registration token or a Secret holding it (provider-kubernetes would copy the observed object,
// token and all, into the Object's status, and Crossplane would send it to the function), none
// copies anything with references (provider-kubernetes writes what it copies back into the
// Object's spec), and none but the vcluster Release has a connection secret (Crossplane sends
// every composed resource's connection secret to the function). The registrar Job reads the
// token at run time. The e2e checks every request the function receives.
func TestNothingComposedCarriesTheToken(t *testing.T) {
	log, logs := recordingLogger()
	f := NewFunction(log)
	checked := 0
	for _, path := range exampleFiles(t) {
		for _, step := range allSteps() {
			rsp, err := f.RunFunction(context.Background(), exampleRequest(t, path, step, nil))
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range rsp.GetDesired().GetResources() {
				obj := r.GetResource().AsMap()
				spec, _ := obj["spec"].(map[string]any)
				if _, ok := spec["references"]; ok {
					t.Errorf("%s at %q: %s copies with references", path, step, name)
				}
				if _, ok := spec["writeConnectionSecretToRef"]; ok && name != string(compose.ResourceVCluster) {
					t.Errorf("%s at %q: %s has a connection secret", path, step, name)
				}
				if _, ok := spec["connectionDetails"]; ok && name != string(compose.ResourceVCluster) {
					t.Errorf("%s at %q: %s publishes connection details", path, step, name)
				}
				if obj["kind"] != "Object" {
					continue
				}
				m := manifestOf(obj)
				meta, _ := m["metadata"].(map[string]any)
				target, _ := meta["name"].(string)
				if m["kind"] == "ClusterRegistrationToken" || (m["kind"] == "Secret" && (strings.HasPrefix(target, "crt-token-") || strings.HasPrefix(target, "cattle-credentials"))) {
					t.Errorf("%s at %q: %s targets %s %s, which holds the token", path, step, name, m["kind"], target)
				}
			}
			checked++
		}
	}
	if checked < 10 || logs.Len() == 0 {
		t.Fatalf("checked %d responses, logged %d bytes: the test would prove nothing", checked, logs.Len())
	}
}

// recordingLogger records everything the function logs, debug included.
func recordingLogger() (logging.Logger, *bytes.Buffer) {
	logs := &bytes.Buffer{}
	return logging.NewLogrLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(logs, prefix, args)
	}, funcr.Options{Verbosity: 10})), logs
}

// responseCarries reports whether secret appears anywhere in the response.
func responseCarries(t *testing.T, rsp *fnv1.RunFunctionResponse, secret string) bool {
	t.Helper()
	out, err := protojson.Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(out), secret)
}

// testCA is a PEM certificate of a throwaway CA.
func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Rancher test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(0, 0).Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestRegistrarTrustsRancherCA: with a private CA in the input, the registrar verifies Rancher
// with it (a ConfigMap beside the Job, curl --cacert); there is no insecure mode to fall back to.
func TestRegistrarTrustsRancherCA(t *testing.T) {
	ca := testCA(t)
	input := fmt.Sprintf(`
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
rancher:
  enabled: true
  url: https://rancher.internal.example
  caBundle: %q
`, ca)
	req := &fnv1.RunFunctionRequest{
		Meta:  &fnv1.RequestMeta{Tag: "t"},
		Input: st(t, input),
		Observed: &fnv1.State{
			Composite: res(t, tenanttest.ClaimXR("spec: {}")),
			Resources: readObserved(t, "deployed,rancher/1-cluster"),
		},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res := rsp.GetDesired().GetResources()
	cm := manifestOf(res[string("registrar-ca")].GetResource().AsMap())
	want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "team-a-dev-c553f163-rancher-ca", "namespace": "crossplane-system", "labels": map[string]any{
			"app.kubernetes.io/managed-by": "function-tenantcluster", "tenantcluster.io/claim-namespace": "team-a", "tenantcluster.io/tenant": "team-a-dev-c553f163"}},
		"data": map[string]any{"ca.crt": ca}}
	if diff := cmp.Diff(want, cm); diff != "" {
		t.Errorf("CA ConfigMap: -want, +got:\n%s", diff)
	}
	pod := manifestOf(res[string(rancher.ResourceRegistrarJob)].GetResource().AsMap())["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	got := map[string]any{"env": c["env"], "mounts": c["volumeMounts"], "volumes": pod["volumes"]}
	wantPod := fromYAML(t, `
env:
- {name: HOME, value: /tmp}
- {name: RANCHER_URL, value: https://rancher.internal.example}
- {name: CLUSTER_ID, value: c-m-8x2kq7vd}
- {name: KUBECONFIG_NAMESPACE, value: crossplane-system}
- {name: KUBECONFIG_SECRET, value: team-a-dev-c553f163-kubeconfig}
- {name: KUBECONFIG_KEY, value: kubeconfig}
- {name: RANCHER_CA, value: /etc/tenantcluster/rancher-ca/ca.crt}
mounts:
- {name: tmp, mountPath: /tmp}
- {name: rancher-ca, mountPath: /etc/tenantcluster/rancher-ca, readOnly: true}
volumes:
- {name: tmp, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
- {name: rancher-ca, configMap: {name: team-a-dev-c553f163-rancher-ca}}
`)
	if diff := cmp.Diff(wantPod, got); diff != "" {
		t.Errorf("registrar pod: -want, +got:\n%s", diff)
	}
}

// TestRancherFieldsWithoutRancher: a claim that names Rancher owners on a platform that does
// not register tenants is composed, with a Warning saying the field does nothing.
func TestRancherFieldsWithoutRancher(t *testing.T) {
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Observed: &fnv1.State{Composite: res(t, tenanttest.ClaimXR(`spec: {rancher: {owners: [{user: "local://u-a"}]}}`))},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []*fnv1.Result{{
		Severity: fnv1.Severity_SEVERITY_WARNING,
		Message:  "spec.rancher is ignored: this platform does not register tenants in Rancher",
		Target:   fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}}
	if diff := cmp.Diff(want, rsp.GetResults(), protocmp.Transform()); diff != "" {
		t.Errorf("results: -want, +got:\n%s", diff)
	}
	if _, ok := rsp.GetDesired().GetResources()[string(rancher.ResourceCluster)]; ok {
		t.Error("a platform without Rancher composed a provisioning Cluster")
	}
	if len(rsp.GetDesired().GetResources()) == 0 {
		t.Error("the tenant was not composed")
	}
}
