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
)

// TestRancherTokenNeverLeaves renders every example at every step of the Rancher registration,
// where the observed registration token carries the token in plain text (in its status, as
// Rancher writes it), with a logger that records everything at debug level. The token must
// appear nowhere in the response (no composed resource's spec, no XR status, no result, no
// condition) and nowhere in the logs.
func TestRancherTokenNeverLeaves(t *testing.T) {
	log, logs := recordingLogger()
	f := NewFunction(log)
	checked := 0
	for _, path := range exampleFiles(t) {
		for _, step := range allSteps() {
			if !strings.Contains(step, "rancher/2-token,") && !strings.HasSuffix(step, "rancher/2-token") {
				continue
			}
			req := exampleRequest(t, path, step, nil)
			if !strings.Contains(req.String(), exampleToken) {
				t.Fatalf("the observed state of step %q does not carry the token; the test would prove nothing", step)
			}
			rsp, err := f.RunFunction(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if responseCarries(t, rsp, exampleToken) {
				t.Errorf("%s at step %q: the response carries Rancher's token", path, step)
			}
			checked++
		}
	}
	if checked == 0 || logs.Len() == 0 {
		t.Fatalf("checked %d responses, logged %d bytes: the test would prove nothing", checked, logs.Len())
	}
	if strings.Contains(logs.String(), exampleToken) {
		t.Errorf("the logs carry Rancher's token")
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

// TestInstallerTrustsRancherCA: with a private CA in the input, the installer verifies Rancher
// with it (a ConfigMap in the virtual cluster, SSL_CERT_FILE for kubectl); there is no insecure
// mode to fall back to.
func TestInstallerTrustsRancherCA(t *testing.T) {
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
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    st(t, input),
		Observed: &fnv1.State{Composite: res(t, claimXR("spec: {}")), Resources: readObserved(t, "rancher/1-cluster,rancher/2-token")},
	}
	rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res := rsp.GetDesired().GetResources()
	cm := manifestOf(res[string(resourceAgentCA)].GetResource().AsMap())
	want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "tenantcluster-rancher-ca", "namespace": "cattle-system"},
		"data":     map[string]any{"ca.crt": ca}}
	if diff := cmp.Diff(want, cm); diff != "" {
		t.Errorf("CA ConfigMap: -want, +got:\n%s", diff)
	}
	pod := manifestOf(res[string(resourceAgentInstall)].GetResource().AsMap())["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	got := map[string]any{"env": c["env"], "mounts": c["volumeMounts"], "volumes": pod["volumes"]}
	wantPod := fromYAML(t, `
env:
- {name: HOME, value: /tmp}
- name: RANCHER_IMPORT_URL
  valueFrom: {secretKeyRef: {name: tenantcluster-rancher-import, key: manifestUrl}}
- {name: SSL_CERT_FILE, value: /etc/tenantcluster/rancher-ca/ca.crt}
mounts:
- {name: tmp, mountPath: /tmp}
- {name: rancher-ca, mountPath: /etc/tenantcluster/rancher-ca, readOnly: true}
volumes:
- {name: tmp, emptyDir: {}}
- {name: rancher-ca, configMap: {name: tenantcluster-rancher-ca}}
`)
	if diff := cmp.Diff(wantPod, got); diff != "" {
		t.Errorf("installer pod: -want, +got:\n%s", diff)
	}
}

// TestRancherFieldsWithoutRancher: a claim that names Rancher owners on a platform that does
// not register tenants is composed, with a Warning saying the field does nothing.
func TestRancherFieldsWithoutRancher(t *testing.T) {
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Observed: &fnv1.State{Composite: res(t, claimXR(`spec: {rancher: {owners: [{user: "local://u-a"}]}}`))},
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
	if _, ok := rsp.GetDesired().GetResources()[string(resourceRancherCluster)]; ok {
		t.Error("a platform without Rancher composed a provisioning Cluster")
	}
	if len(rsp.GetDesired().GetResources()) == 0 {
		t.Error("the tenant was not composed")
	}
}
