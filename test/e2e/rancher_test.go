package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var (
	gvkDeployment     = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkPod            = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	gvkServiceAccount = schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}
)

// assertAgentAdmission checks that the virtual cluster's Pod Security admission is real and is
// what admits Rancher's agent: the agent's pod (from the import manifest the registrar applied)
// exists in cattle-system, and the same pod in another namespace is refused at the tenant's
// level, restricted, by the virtual API server.
func assertAgentAdmission(t *testing.T, id string) {
	t.Helper()
	vc := cp.StandIn(id)
	if vc == nil {
		t.Fatalf("tenant %s has no virtual cluster", id)
	}
	pod, err := controlplane.AgentPod(runCtx, vc)
	if err != nil || pod == "" {
		t.Fatalf("no pod of Rancher's agent in the virtual cluster's cattle-system (%v)", err)
	}
	agent, found, err := vc.Get(runCtx, gvkDeployment, "cattle-system", "cattle-cluster-agent")
	if err != nil || !found {
		t.Fatalf("Rancher's agent Deployment: found=%v %v", found, err)
	}
	// The same pod in default, with a ServiceAccount of the same name there: only the namespace
	// differs (the ServiceAccount admission would refuse it first otherwise).
	account := &unstructured.Unstructured{}
	account.SetGroupVersionKind(gvkServiceAccount)
	account.SetNamespace("default")
	account.SetName("cattle")
	if err := vc.ApplyObject(runCtx, account); err != nil {
		t.Fatal(err)
	}
	template, _, _ := unstructured.NestedMap(agent.Object, "spec", "template")
	elsewhere := &unstructured.Unstructured{Object: template}
	elsewhere.SetGroupVersionKind(gvkPod)
	elsewhere.SetNamespace("default")
	elsewhere.SetName("cattle-cluster-agent-elsewhere")
	err = vc.ApplyObject(runCtx, elsewhere)
	const want = `violates PodSecurity "restricted:latest"`
	if err == nil || !strings.Contains(err.Error(), want) {
		_ = vc.Delete(runCtx, gvkPod, "default", elsewhere.GetName())
		t.Fatalf("the agent's pod in the virtual cluster's namespace default: want refused with %q, got %v", want, err)
	}
	t.Logf("the agent's pod %s is admitted in cattle-system; in default it is refused: %v", pod, err)
}

// assertTokenKeptOut checks that no registration token the Rancher player made (in the clear or
// base64-encoded) is anywhere the function is sent or writes: the claim, the XR, every composed
// resource as stored (spec and status), every composed resource's connection secret, the XR's
// and the claim's connection secret, and the function's log. Crossplane sends the function
// exactly the XR and the composed resources with their connection secrets. So that the check is
// not vacuous, the tenant's own token must have reached its virtual cluster, where Rancher's
// agent keeps it.
func assertTokenKeptOut(t *testing.T, ns, name string) {
	t.Helper()
	claim := getClaim(t, ns, name)
	xr, err := cp.Host.XROf(runCtx, claim)
	if err != nil || xr == nil {
		t.Fatalf("the XR of %s/%s: %v", ns, name, err)
	}
	clusterID, _, _ := unstructured.NestedString(xr.Object, "status", "rancher", "clusterId")
	token := cp.RancherToken(clusterID)
	if token == "" {
		t.Fatalf("the Rancher player made no token for cluster %q", clusterID)
	}
	assertTokenInVirtualCluster(t, idOf(t, composed(t, ns, name)), token)

	places := map[string]string{}
	add := func(place string, o *unstructured.Unstructured) {
		if o == nil {
			return
		}
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		places[place] = string(b)
	}
	addSecret := func(place string, o *unstructured.Unstructured, path ...string) {
		ref, found, _ := unstructured.NestedStringMap(o.Object, path...)
		if !found || ref["name"] == "" {
			return
		}
		secretNS := ref["namespace"]
		if secretNS == "" {
			secretNS = o.GetNamespace()
		}
		s, found, err := cp.Host.Get(runCtx, gvkSecret, secretNS, ref["name"])
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			return
		}
		text := []string{}
		data, _, _ := unstructured.NestedStringMap(s.Object, "data")
		for k, v := range data {
			decoded, _ := base64.StdEncoding.DecodeString(v)
			text = append(text, k+"="+v, k+"="+string(decoded))
		}
		places[place+" connection secret "+secretNS+"/"+ref["name"]] = strings.Join(text, "\n")
	}
	add("the claim", claim)
	addSecret("the claim's", claim, "spec", "writeConnectionSecretToRef")
	add("the XR", xr)
	addSecret("the XR's", xr, "spec", "writeConnectionSecretToRef")
	crs, err := cp.Host.ComposedOf(runCtx, xr)
	if err != nil {
		t.Fatal(err)
	}
	secrets := 0
	for _, cr := range crs {
		if cr.Object == nil {
			continue
		}
		add(cr.Key(), cr.Object)
		before := len(places)
		addSecret(cr.Key()+"'s", cr.Object, "spec", "writeConnectionSecretToRef")
		secrets += len(places) - before
	}
	logs, err := filepath.Glob(filepath.Join(cp.Dir, "logs", "function-*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no function log under %s/logs (%v)", cp.Dir, err)
	}
	for _, l := range logs {
		data, err := os.ReadFile(l) //nolint:gosec // a log the harness wrote
		if err != nil {
			t.Fatal(err)
		}
		places["log "+filepath.Base(l)] = string(data)
	}

	var leaks []string
	for place, text := range places {
		for _, tok := range cp.RancherTokens() {
			if strings.Contains(text, tok) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(tok))) {
				leaks = append(leaks, place)
			}
		}
	}
	sort.Strings(leaks)
	if len(leaks) > 0 {
		t.Errorf("a Rancher registration token is in: %s", strings.Join(leaks, ", "))
	}
	t.Logf("no registration token in the claim, the XR, %d composed resources, %d connection secrets or %d function logs",
		len(crs), secrets, len(logs))
}

// assertTokenInVirtualCluster: the registrar applied Rancher's manifest, so the agent's
// credentials Secret in the virtual cluster holds the tenant's token.
func assertTokenInVirtualCluster(t *testing.T, id, token string) {
	t.Helper()
	vc := cp.StandIn(id)
	if vc == nil {
		t.Fatalf("tenant %s has no virtual cluster", id)
	}
	eventually(t, 30*time.Second, "the agent's credentials in the virtual cluster", func() (bool, string) {
		secrets, err := vc.List(runCtx, gvkSecret, "cattle-system")
		if err != nil {
			return false, err.Error()
		}
		for _, s := range secrets {
			v, _, _ := unstructured.NestedString(s.Object, "data", "token")
			if strings.HasPrefix(s.GetName(), "cattle-credentials-") && v == base64.StdEncoding.EncodeToString([]byte(token)) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d Secrets in cattle-system, none cattle-credentials-* with the tenant's token", len(secrets))
	})
}

// TestRegistrarFailureReported: while Rancher is unavailable, the registrar Job's script fails
// every run; once the Job has failed, the claim says so with the script's error (and no token),
// and the retry the message names (delete the Job) registers the tenant once Rancher is back.
func TestRegistrarFailureReported(t *testing.T) {
	const ns, name = "team-unreachable", "unreachable"
	cp.SetRancherUnavailable(true)
	defer cp.SetRancherUnavailable(false)
	applyClaim(t, claimFile(t, "examples/claims/minimal.yaml", ns, name))
	var failed controlplane.ConditionView
	eventually(t, 3*time.Minute, "RancherRegistered=False (AgentInstallFailed)", func() (bool, string) {
		failed = controlplane.Condition(getClaim(t, ns, name), "RancherRegistered")
		return failed.Reason == "AgentInstallFailed", fmt.Sprintf("%+v", failed)
	})
	const want = "The requested URL returned error: 503"
	if failed.Status != "False" || !strings.Contains(failed.Message, want) {
		t.Errorf("RancherRegistered while Rancher is unavailable: want False with %q in the message, got %+v", want, failed)
	}
	t.Logf("while Rancher is unavailable: RancherRegistered=%s %s: %s", failed.Status, failed.Reason, failed.Message)

	cp.SetRancherUnavailable(false)
	job := ""
	for _, s := range composed(t, ns, name) {
		if s.Object != nil && strings.HasSuffix(s.Name, "-registrar") {
			job, _, _ = unstructured.NestedString(s.Object.Object, "spec", "forProvider", "manifest", "metadata", "name")
		}
	}
	if job == "" {
		t.Fatal("no registrar Job is composed")
	}
	if err := cp.Host.Delete(runCtx, schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, "crossplane-system", job); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, 2*time.Minute, "RancherRegistered=True after the failed Job is deleted", func() (bool, string) {
		c := controlplane.Condition(getClaim(t, ns, name), "RancherRegistered")
		return c.Status == "True", fmt.Sprintf("%+v", c)
	})
	t.Logf("failed Job deleted → RancherRegistered=True: %s", time.Since(start).Round(10*time.Millisecond))
	last := settled(t, ns, name)
	assertTokenKeptOut(t, ns, name)
	deleteAndWaitGone(t, ns, name, last, 3*time.Minute)
	assertBreakerClosed(t)
}
