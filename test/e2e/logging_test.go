package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var (
	gvkLogging = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Logging"}
	gvkFlow    = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Flow"}
	gvkOutput  = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Output"}
)

// TestLoggingLifecycle creates the tenant of examples/claims/logging.yaml and waits until its
// logging is ready: provider-kubernetes applied the tenant's Logging, Flow and Outputs to the host
// API server, which admitted them against the logging-operator's real CRDs, and the logging
// player took them as the operator does. The Loki output's user and password are copied from the
// claim's namespace into the host namespace by the copier Job, and are in no composed resource.
// It checks what the host holds, turns logging off (the logging objects and the copied
// credentials go from the host, nothing else of the tenant changes, the claim says Off), then
// deletes the tenant.
func TestLoggingLifecycle(t *testing.T) {
	const ns, name = "team-shop", "shop"
	claim := claimFile(t, "examples/claims/logging.yaml", ns, name)
	password := lokiSecret(t, ns)
	start := time.Now()
	applyClaim(t, claim)
	waitLayerReady(t, ns, name, "LoggingReady", start, 2*time.Minute)
	before := settled(t, ns, name)
	id := idOf(t, before)
	hostNS := "tenant-" + id
	assertLoggingOnHost(t, id, hostNS)
	credentials := assertCredentialsCopied(t, hostNS, password)
	assertNothingComposedHolds(t, ns, name, before, password)

	// Turning it on again is covered by fn/logging_test.go only: done here within a minute of the
	// rest, it drains the XR's circuit breaker, which Crossplane v2.2.1's duplicated watches
	// charge many times over per change (docs/operating.md).
	t.Run("off", func(t *testing.T) {
		// 4 logging Objects, 6 of the copier, and 11 Usages: each on the namespace, the copier's
		// Job on its 5 rights. The copied credentials go with their owner, the writer's Role
		// (garbage collector).
		before = turnLayerOff(t, claim, before, layerOff{
			field: "logging", condition: "LoggingReady", composed: 21,
			ours:     func(k string) bool { return strings.Contains(k, "-log") || strings.Contains(k, "usage-logging") },
			alsoGone: []snapshot{credentials},
		})
	})

	t.Run("delete", func(t *testing.T) {
		deleteAndWaitGone(t, ns, name, before, 3*time.Minute)
	})
	assertBreakerClosed(t)
}

// assertLoggingOnHost checks the tenant's logging objects as the host API server holds them:
// the tenant's own Logging watching only its namespace, the Flow selecting its synced pods of
// virtual namespace shop to its two outputs, and each Output taken.
func assertLoggingOnHost(t *testing.T, id, hostNS string) {
	t.Helper()
	l := mustGet(t, gvkLogging, "", id)
	if w, _, _ := unstructured.NestedStringSlice(l.Object, "spec", "watchNamespaces"); !slices.Equal(w, []string{hostNS}) {
		t.Errorf("Logging %s watches %v, want only %s", id, w, hostNS)
	}
	f := mustGet(t, gvkFlow, hostNS, "tenant-logs")
	refs, _, _ := unstructured.NestedStringSlice(f.Object, "spec", "localOutputRefs")
	if !slices.Equal(refs, []string{"tenant-loki", "tenant-collector"}) {
		t.Errorf("Flow outputs %v", refs)
	}
	match, _, _ := unstructured.NestedSlice(f.Object, "spec", "match")
	if want := "[map[select:map[labels:map[vcluster.loft.sh/managed-by:shop vcluster.loft.sh/namespace:shop]]]]"; fmt.Sprint(match) != want {
		t.Errorf("Flow selects %v, want %s", match, want)
	}
	for _, o := range refs {
		out := mustGet(t, gvkOutput, hostNS, o)
		if active, _, _ := unstructured.NestedBool(out.Object, "status", "active"); !active {
			t.Errorf("Output %s not taken: %v", o, out.Object["status"])
		}
	}
}

// lokiSecret creates the Secret loki-auth the example claim names, in the claim's namespace,
// with a password made for this run, and returns the password.
func lokiSecret(t *testing.T, ns string) string {
	t.Helper()
	password := runPassword(t)
	claimSecret(t, ns, "loki-auth", map[string]any{"username": "shop", "password": password, "unrelated": "not copied"})
	return password
}

// fullSecrets creates the Secrets payments-logs and payments-alerts that
// examples/claims/full.yaml's log outputs, alert receivers and Grafana name, and returns its Loki
// password.
func fullSecrets(t *testing.T, ns string) string {
	t.Helper()
	password := runPassword(t)
	claimSecret(t, ns, "payments-logs", map[string]any{"loki-user": "payments", "loki-password": password, "es-password": runPassword(t)})
	claimSecret(t, ns, "payments-alerts", map[string]any{"pagerduty": runPassword(t), "teams-webhook": "https://example.webhook.office.com/" + runPassword(t), "grafana-admin": runPassword(t)})
	return password
}

// runPassword is a password made for this run, found nowhere else.
func runPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "e2e-" + base64.RawURLEncoding.EncodeToString(b)
}

// claimSecret creates a Secret in a claim's namespace (and the namespace), as the team would.
func claimSecret(t *testing.T, ns, name string, data map[string]any) {
	t.Helper()
	namespace := &unstructured.Unstructured{}
	namespace.SetGroupVersionKind(gvkNamespace)
	namespace.SetName(ns)
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"stringData": data,
	}}
	for _, o := range []*unstructured.Unstructured{namespace, secret} {
		if err := cp.Host.ApplyObject(runCtx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// assertCredentialsCopied waits for the copier (its Job's own script, run by the registrar
// player as the Job's ServiceAccount, so the real API server judged its rights) to have written
// the two keys the claim names, and nothing else, into the tenant's credentials Secret, owned by
// the writer's Role. It returns the Secret, for waiting for it to go.
func assertCredentialsCopied(t *testing.T, hostNS, password string) snapshot {
	t.Helper()
	return assertCopied(t, hostNS, "tenant-log-credentials", map[string]string{"loki-auth_username": "shop", "loki-auth_password": password})
}

// assertCopied waits for a layer's copier to have written exactly the keys and values want into
// the layer's credentials Secret in the host namespace, owned by the Secret's writer Role, and
// returns the Secret.
func assertCopied(t *testing.T, hostNS, name string, want map[string]string) snapshot {
	t.Helper()
	gvkSecret := schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	var s *unstructured.Unstructured
	eventually(t, time.Minute, "the claim's credentials copied into Secret "+name+" of the host namespace", func() (bool, string) {
		o, found, err := cp.Host.Get(runCtx, gvkSecret, hostNS, name)
		if err != nil || !found {
			return false, fmt.Sprintf("found %v, %v", found, err)
		}
		s = o
		return true, ""
	})
	data, _, _ := unstructured.NestedStringMap(s.Object, "data")
	encoded := map[string]string{}
	for k, v := range want {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	if !maps.Equal(data, encoded) {
		t.Errorf("Secret %s holds keys %v, want exactly %v with the claim's values", name, slices.Sorted(maps.Keys(data)), slices.Sorted(maps.Keys(want)))
	}
	if owners := s.GetOwnerReferences(); len(owners) != 1 || owners[0].Kind != "Role" || owners[0].Name != name+"-writer" {
		t.Errorf("Secret %s is owned by %v, want the Role %s-writer", name, owners, name)
	}
	return snapshot{Composed: controlplane.Composed{GVK: gvkSecret, Namespace: hostNS, Name: name}}
}

// assertNothingComposedHolds: the password is in no composed resource (spec or status), nor in
// the XR or the claim, as the API server holds them.
func assertNothingComposedHolds(t *testing.T, ns, name string, composed map[string]snapshot, password string) {
	t.Helper()
	objs := []*unstructured.Unstructured{getClaim(t, ns, name)}
	if xr, err := cp.Host.XROf(runCtx, objs[0]); err == nil && xr != nil {
		objs = append(objs, xr)
	}
	for _, s := range composed {
		if s.Object != nil {
			objs = append(objs, s.Object)
		}
	}
	for _, o := range objs {
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), password) || strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(password))) {
			t.Errorf("%s %s holds the output's password", o.GetKind(), o.GetName())
		}
	}
	if len(objs) < 20 {
		t.Fatalf("looked at %d objects: the check would prove nothing", len(objs))
	}
}

func mustGet(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	o, found, err := cp.Host.Get(runCtx, gvk, ns, name)
	if err != nil || !found {
		t.Fatalf("%s %s/%s on the host: found %v, %v", gvk.Kind, ns, name, found, err)
	}
	return o
}

// waitLayerReady waits for a layer's condition and VClusterReady to be True on the claim.
func waitLayerReady(t *testing.T, ns, name, condition string, start time.Time, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "the tenant's "+condition, func() (bool, string) {
		c := getClaim(t, ns, name)
		if c == nil {
			return false, "no claim"
		}
		l, v := controlplane.Condition(c, condition), controlplane.Condition(c, "VClusterReady")
		return l.Status == "True" && v.Status == "True", fmt.Sprintf("%s %+v, VClusterReady %+v\n%s", condition, l, v, tree(ns, name))
	})
	t.Logf("claim apply → %s=True: %s", condition, time.Since(start).Round(10*time.Millisecond))
}

// layerOff is a layer turned off by removing its field from the claim's spec.
type layerOff struct {
	field, condition string
	// composed is how many composed resources go, ours tells them by name.
	composed int
	ours     func(name string) bool
	// alsoGone are what else must go from the host (what Helm installed, copied credentials).
	alsoGone []snapshot
}

// turnLayerOff removes the layer's field from the claim and checks that exactly the layer's
// composed resources go (nothing else of the tenant changes), that what they made on the host
// goes, and that the claim says the layer is off (Crossplane keeps the condition); it returns
// the tenant's composed resources after.
func turnLayerOff(t *testing.T, claim *unstructured.Unstructured, before map[string]snapshot, l layerOff) map[string]snapshot {
	t.Helper()
	ns, name := claim.GetNamespace(), claim.GetName()
	delete(claim.Object["spec"].(map[string]any), l.field)
	applyClaim(t, claim)
	after := settledAfter(t, ns, name, before)
	// Crossplane (v2.2.1) can apply once more a desired state it computed from a stale read of
	// the XR, re-creating for a while a resource of the layer it had just deleted (seen with the
	// logging copier's Usages); the function composes none of them. Wait for the layer's
	// resources to be gone by name; everything else is held to no change at all.
	eventually(t, 2*time.Minute, "the "+l.field+" resources gone from the composed set", func() (bool, string) {
		after = composed(t, ns, name)
		var left []string
		for k := range after {
			if l.ours(k) {
				left = append(left, k)
			}
		}
		return len(left) == 0, fmt.Sprint(left)
	})
	got := diff(before, after)
	var want []string
	for k := range before {
		if l.ours(k) {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	slices.Sort(got.removed)
	if len(want) != l.composed || !slices.Equal(want, got.removed) || len(got.added) != 0 || len(got.changed) != 0 {
		t.Errorf("turning %s off: want exactly its %d resources removed (%d: %v); got %s", l.field, l.composed, len(want), want, got)
	}
	removed := map[string]snapshot{}
	for _, k := range got.removed {
		removed[k] = before[k]
	}
	gone := slices.Concat(hostTargets(removed), values(removed), l.alsoGone)
	waitGone(t, "the tenant's "+l.field+", composed and on the host", gone, 2*time.Minute)
	eventually(t, time.Minute, "the claim says "+l.field+" is off", func() (bool, string) {
		c := controlplane.Condition(getClaim(t, ns, name), l.condition)
		return c.Reason == "Off", fmt.Sprintf("%+v", c)
	})
	return after
}
