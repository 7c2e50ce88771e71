package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// What the real provider-helm installed from the real chart, read on the host API server: the
// isolation a tenant is promised holds the tenant's numbers there, and the control plane's Pod
// exists because the host's Pod Security and quota admission let it in.

var (
	gvkComposition   = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "Composition"}
	gvkResourceQuota = schema.GroupVersionKind{Version: "v1", Kind: "ResourceQuota"}
	gvkLimitRange    = schema.GroupVersionKind{Version: "v1", Kind: "LimitRange"}
	gvkNetworkPolicy = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}
	gvkPVC           = schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}
)

// installedRelease is the tenant's Release as composed: its host namespace and Helm release name.
func installedRelease(t *testing.T, ns, name string) (hostNS, release string) {
	t.Helper()
	for _, s := range composed(t, ns, name) {
		// The vcluster's Release (a tenant with monitoring has another).
		if s.GVK.Kind == "Release" && s.Object != nil && s.Object.GetAnnotations()["crossplane.io/composition-resource-name"] == "vcluster" {
			hostNS, _, _ = unstructured.NestedString(s.Object.Object, "spec", "forProvider", "namespace")
			release = s.Object.GetAnnotations()["crossplane.io/external-name"]
			return hostNS, release
		}
	}
	t.Fatalf("%s/%s composed no Release", ns, name)
	return "", ""
}

// sizeProfile is the platform's size profile from the installed Composition's function input.
func sizeProfile(t *testing.T, size string) map[string]any {
	t.Helper()
	comps, err := cp.Host.List(runCtx, gvkComposition, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comps {
		steps, _, _ := unstructured.NestedSlice(c.Object, "spec", "pipeline")
		for _, s := range steps {
			profile, found, _ := unstructured.NestedMap(s.(map[string]any), "input", "sizes", size)
			if found {
				return profile
			}
		}
	}
	t.Fatalf("no installed Composition offers size %q", size)
	return nil
}

// assertHostIsolation checks what Helm installed in the tenant's host namespace against the
// claim: the ResourceQuota holds the profile's quota with the claim's adjustments, the
// LimitRange the claim's container defaults over the profile's, the quota's usage (kept by the
// real quota controller) is within it, the NetworkPolicies exist, and the control plane's Pod
// and its data volume claim were admitted.
func assertHostIsolation(t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	ns, name := claim.GetNamespace(), claim.GetName()
	size, _, _ := unstructured.NestedString(claim.Object, "spec", "size")
	profile := sizeProfile(t, size)
	hostNS, release := installedRelease(t, ns, name)

	wantQuota := nestedStrings(profile, "quota")
	maps.Copy(wantQuota, nestedStrings(claim.Object, "spec", "resources", "quota"))
	// The exposure's own Service counts against these two: the function raises them to fit it.
	delete(wantQuota, "services.loadbalancers")
	delete(wantQuota, "services.nodeports")
	eventually(t, time.Minute, fmt.Sprintf("ResourceQuota %s/vc-%s holds the %s profile with the claim's quota", hostNS, release, size), func() (bool, string) {
		q, found, err := cp.Host.Get(runCtx, gvkResourceQuota, hostNS, "vc-"+release)
		if err != nil || !found {
			return false, fmt.Sprintf("found=%v %v", found, err)
		}
		hard := nestedStrings(q.Object, "spec", "hard")
		if d := quantityDiff(wantQuota, hard); d != "" {
			return false, "spec.hard: " + d
		}
		used, usedFound, _ := unstructured.NestedStringMap(q.Object, "status", "used")
		if !usedFound {
			return false, "the quota controller has not counted usage yet"
		}
		for k, u := range used {
			if quantity(u).Cmp(*quantity(hard[k])) > 0 {
				return false, fmt.Sprintf("status.used %s=%s exceeds %s", k, u, hard[k])
			}
		}
		return true, ""
	})

	limits := nestedStrings(profile, "limitRange", "default")
	maps.Copy(limits, nestedStrings(claim.Object, "spec", "resources", "containerDefaults", "limits"))
	requests := nestedStrings(profile, "limitRange", "defaultRequest")
	maps.Copy(requests, nestedStrings(claim.Object, "spec", "resources", "containerDefaults", "requests"))
	eventually(t, time.Minute, fmt.Sprintf("LimitRange %s/vc-%s holds the claim's container defaults", hostNS, release), func() (bool, string) {
		lr, found, err := cp.Host.Get(runCtx, gvkLimitRange, hostNS, "vc-"+release)
		if err != nil || !found {
			return false, fmt.Sprintf("found=%v %v", found, err)
		}
		items, _, _ := unstructured.NestedSlice(lr.Object, "spec", "limits")
		if len(items) == 0 {
			return false, "no limits"
		}
		first := items[0].(map[string]any)
		if d := quantityDiff(limits, nestedStrings(first, "default")); d != "" {
			return false, "default: " + d
		}
		if d := quantityDiff(requests, nestedStrings(first, "defaultRequest")); d != "" {
			return false, "defaultRequest: " + d
		}
		return true, ""
	})

	policies, err := cp.Host.List(runCtx, gvkNetworkPolicy, hostNS)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range policies {
		names = append(names, p.GetName())
	}
	for _, want := range []string{"vc-work-" + release, "vc-cp-" + release} {
		if !slices.Contains(names, want) {
			t.Errorf("host namespace %s: no NetworkPolicy %s among %v", hostNS, want, names)
		}
	}

	eventually(t, time.Minute, "the control plane's Pod and data volume claim admitted", func() (bool, string) {
		if _, found, err := cp.Host.Get(runCtx, gvkPod, hostNS, release+"-0"); err != nil || !found {
			return false, fmt.Sprintf("Pod %s-0: found=%v %v", release, found, err)
		}
		if _, found, err := cp.Host.Get(runCtx, gvkPVC, hostNS, "data-"+release+"-0"); err != nil || !found {
			return false, fmt.Sprintf("PersistentVolumeClaim data-%s-0: found=%v %v", release, found, err)
		}
		return true, ""
	})
}

// assertControlPlanePodSecurity judges the control plane's Pod, as the host's StatefulSet
// controller made it, with the host API server's own Pod Security admission, by server-side dry
// runs in the tenant's host namespace (admission runs, nothing is stored). The namespace
// enforces the tenant's level, or baseline for a registered tenant asking for restricted
// (Rancher's agent runs there: docs/rancher.md), and warns at the tenant's level. So:
//   - the Pod as made draws no Pod Security warning: it meets the tenant's own level;
//   - the same Pod with its security contexts removed draws the warning at the tenant's level;
//   - the same Pod with a host path volume is refused by the enforced level.
func assertControlPlanePodSecurity(t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	hostNS, release := installedRelease(t, claim.GetNamespace(), claim.GetName())
	nsObj, _, err := cp.Host.Get(runCtx, gvkNamespace, "", hostNS)
	if err != nil {
		t.Fatal(err)
	}
	tenantLevel, _, _ := unstructured.NestedString(claim.Object, "spec", "isolation", "podSecurity")
	enforced := tenantLevel
	if tenantLevel == "restricted" && controlplane.Condition(getClaim(t, claim.GetNamespace(), claim.GetName()), "RancherRegistered").Type != "" {
		enforced = "baseline"
	}
	labels := nsObj.GetLabels()
	if labels["pod-security.kubernetes.io/enforce"] != enforced || labels["pod-security.kubernetes.io/warn"] != tenantLevel {
		t.Errorf("host namespace %s: enforce=%q warn=%q, want enforce=%q warn=%q", hostNS,
			labels["pod-security.kubernetes.io/enforce"], labels["pod-security.kubernetes.io/warn"], enforced, tenantLevel)
	}
	pod, found, err := cp.Host.Get(runCtx, gvkPod, hostNS, release+"-0")
	if err != nil || !found {
		t.Fatalf("Pod %s/%s-0: found=%v %v", hostNS, release, found, err)
	}
	variant := func(suffix string, change func(spec map[string]any)) *unstructured.Unstructured {
		spec, _, _ := unstructured.NestedMap(pod.Object, "spec")
		delete(spec, "nodeName")
		change(spec)
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "spec": spec}}
		o.SetName(release + "-" + suffix)
		o.SetNamespace(hostNS)
		o.SetLabels(map[string]string{"tenantcluster.io/e2e": "dry-run"}) // not the StatefulSet's
		return o
	}
	containers := func(spec map[string]any, f func(c map[string]any)) {
		for _, list := range []string{"initContainers", "containers"} {
			cs, _, _ := unstructured.NestedSlice(spec, list)
			for _, c := range cs {
				f(c.(map[string]any))
			}
			if cs != nil {
				spec[list] = cs
			}
		}
	}
	psWarning := func(ws []string) string {
		for _, w := range ws {
			if strings.Contains(w, "PodSecurity") {
				return w
			}
		}
		return ""
	}

	ws, err := cp.Host.DryRunCreate(runCtx, variant("as-made", func(map[string]any) {}))
	if err != nil || psWarning(ws) != "" {
		t.Errorf("the control plane's Pod as the StatefulSet made it: want admitted without a Pod Security warning at %q, got %v, warnings %v", tenantLevel, err, ws)
	}
	ws, err = cp.Host.DryRunCreate(runCtx, variant("no-security-context", func(spec map[string]any) {
		delete(spec, "securityContext")
		containers(spec, func(c map[string]any) { delete(c, "securityContext") })
	}))
	want := fmt.Sprintf(`would violate PodSecurity "%s:latest"`, tenantLevel)
	if w := psWarning(ws); !strings.Contains(w, want) {
		t.Errorf("the control plane's Pod without its security contexts: want the warning %q, got %v (refused: %v)", want, ws, err)
	} else {
		t.Logf("the control plane's Pod without its security contexts: %s", w)
	}
	// A host path is what baseline forbids and the API server itself allows (privileged
	// containers it refuses before Pod Security does, without --allow-privileged).
	_, err = cp.Host.DryRunCreate(runCtx, variant("host-path", func(spec map[string]any) {
		volumes, _, _ := unstructured.NestedSlice(spec, "volumes")
		spec["volumes"] = append(volumes, map[string]any{"name": "host", "hostPath": map[string]any{"path": "/var/run"}})
	}))
	want = fmt.Sprintf(`violates PodSecurity "%s:latest"`, enforced)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("the control plane's Pod with a host path volume: want refused with %q, got %v", want, err)
	} else {
		t.Logf("the control plane's Pod with a host path volume is refused: %v", err)
	}
}

func nestedStrings(m map[string]any, path ...string) map[string]string {
	raw, _, _ := unstructured.NestedMap(m, path...)
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func quantity(s string) *resource.Quantity {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return &resource.Quantity{}
	}
	return &q
}

// quantityDiff lists every key of want that got lacks or holds another amount.
func quantityDiff(want, got map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s missing (want %s)", k, want[k]))
		case quantity(g).Cmp(*quantity(want[k])) != 0:
			out = append(out, fmt.Sprintf("%s=%s, want %s", k, g, want[k]))
		}
	}
	return strings.Join(out, "; ")
}
