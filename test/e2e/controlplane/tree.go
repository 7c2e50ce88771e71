package controlplane

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Composed is one composed resource of an XR, as its resourceRefs name it.
type Composed struct {
	GVK             schema.GroupVersionKind
	Namespace, Name string
	// Object is the resource as read; nil when it does not exist (yet, or any more).
	Object *unstructured.Unstructured
}

// Key names the resource stably: Kind/namespace/name.
func (c Composed) Key() string {
	return c.GVK.Kind + "/" + strings.TrimPrefix(c.Namespace+"/"+c.Name, "/")
}

// XROf reads the XR a claim is bound to; nil while it has none.
func (c *Cluster) XROf(ctx context.Context, claim *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ref, found, _ := unstructured.NestedStringMap(claim.Object, "spec", "resourceRef")
	if !found || ref["name"] == "" {
		return nil, nil
	}
	gv, err := schema.ParseGroupVersion(ref["apiVersion"])
	if err != nil {
		return nil, err
	}
	xr, _, err := c.Get(ctx, gv.WithKind(ref["kind"]), "", ref["name"])
	return xr, err
}

// ComposedOf reads every resource an XR's resourceRefs name (spec.resourceRefs on a legacy XR,
// spec.crossplane.resourceRefs on a v2 one), sorted by Key.
func (c *Cluster) ComposedOf(ctx context.Context, xr *unstructured.Unstructured) ([]Composed, error) {
	refs, found, _ := unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
	if !found {
		refs, _, _ = unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	}
	out := make([]Composed, 0, len(refs))
	for _, r := range refs {
		m, _ := r.(map[string]any)
		gv, err := schema.ParseGroupVersion(str(m["apiVersion"]))
		if err != nil {
			return nil, err
		}
		cr := Composed{GVK: gv.WithKind(str(m["kind"])), Namespace: str(m["namespace"]), Name: str(m["name"])}
		if cr.Namespace == "" && xr.GetNamespace() != "" {
			cr.Namespace = xr.GetNamespace()
		}
		o, found, err := c.Get(ctx, cr.GVK, cr.Namespace, cr.Name)
		if err != nil {
			return nil, err
		}
		if found {
			cr.Object = o
		}
		out = append(out, cr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// Tree renders a claim, its XR and every composed resource with their Synced and Ready
// conditions, and the claim's other conditions with their messages: what `make demo` shows.
func (c *Cluster) Tree(ctx context.Context, claimGVK schema.GroupVersionKind, ns, name string) (string, error) {
	claim, found, err := c.Get(ctx, claimGVK, ns, name)
	if err != nil {
		return "", err
	}
	if !found {
		return fmt.Sprintf("%s %s/%s: not found\n", claimGVK.Kind, ns, name), nil
	}
	var b strings.Builder
	phase, _, _ := unstructured.NestedString(claim.Object, "status", "phase")
	fmt.Fprintf(&b, "%s %s/%s  %s  phase=%s\n", claim.GetKind(), ns, name, syncedReady(claim), orDash(phase))
	for _, cond := range conditions(claim) {
		if cond.Type == "Synced" || cond.Type == "Ready" {
			continue
		}
		fmt.Fprintf(&b, "  %-22s %-5s %-18s %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
	}
	xr, err := c.XROf(ctx, claim)
	if err != nil || xr == nil {
		return b.String(), err
	}
	fmt.Fprintf(&b, "└─ %s %s  %s\n", xr.GetKind(), xr.GetName(), syncedReady(xr))
	composed, err := c.ComposedOf(ctx, xr)
	if err != nil {
		return b.String(), err
	}
	for i, cr := range composed {
		branch := "├─"
		if i == len(composed)-1 {
			branch = "└─"
		}
		state := "(not created yet)"
		if cr.Object != nil {
			state = syncedReady(cr.Object)
			if cr.Object.GetDeletionTimestamp() != nil {
				state += "  deleting"
			}
			if c := Condition(cr.Object, "Synced"); c.Status == "False" {
				state += "  " + c.Message
			}
		}
		fmt.Fprintf(&b, "   %s %-60s %s\n", branch, cr.Key(), state)
	}
	return b.String(), nil
}

func syncedReady(o *unstructured.Unstructured) string {
	return fmt.Sprintf("SYNCED=%s READY=%s", orDash(Condition(o, "Synced").Status), orDash(Condition(o, "Ready").Status))
}

func conditions(o *unstructured.Unstructured) []ConditionView {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	out := make([]ConditionView, 0, len(conds))
	for _, c := range conds {
		m, _ := c.(map[string]any)
		out = append(out, Condition(o, str(m["type"])))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
