package fn

import (
	"bytes"
	"context"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// kubeconfigToken stands for the credentials in a virtual cluster's kubeconfig.
const kubeconfigToken = "kubeconfig-credential-7f3k9q2m"

// TestKubeconfigOnlyInConnectionDetails renders every example at every step with the vcluster
// Release's connection secret holding a kubeconfig with credentials, and a logger that records
// everything at debug level. The kubeconfig may reach exactly one place, the XR's connection
// details (a legacy claim's connection secret, the one copy the function makes); never a
// composed resource, the XR's status, a result, a condition or the logs.
func TestKubeconfigOnlyInConnectionDetails(t *testing.T) {
	log, logs := recordingLogger()
	f := NewFunction(log)
	kubeconfig := []byte("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user: {token: " + kubeconfigToken + "}\n")
	checked, copied := 0, 0
	for _, path := range exampleFiles(t) {
		for _, step := range allSteps() {
			req := exampleRequest(t, path, step, nil)
			vc, ok := req.GetObserved().GetResources()["vcluster"]
			if !ok {
				continue
			}
			vc.ConnectionDetails = map[string][]byte{tenant.KeyKubeconfig: kubeconfig, tenant.KeyKubeconfigInternal: kubeconfig}
			rsp, err := f.RunFunction(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(rsp.GetDesired().GetComposite().GetConnectionDetails()[tenant.KeyKubeconfig], []byte(kubeconfigToken)) {
				copied++
			}
			without := proto.Clone(rsp).(*fnv1.RunFunctionResponse)
			if c := without.GetDesired().GetComposite(); c != nil {
				c.ConnectionDetails = nil
			}
			if responseCarries(t, without, kubeconfigToken) {
				t.Errorf("%s at step %q: the kubeconfig reaches the response outside the XR's connection details", path, step)
			}
			checked++
		}
	}
	if checked == 0 || copied == 0 || logs.Len() == 0 {
		t.Fatalf("checked %d responses (%d with the kubeconfig copied), logged %d bytes: the test would prove nothing", checked, copied, logs.Len())
	}
	if strings.Contains(logs.String(), kubeconfigToken) {
		t.Errorf("the logs carry the kubeconfig's credentials")
	}
}
