package controlplane

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	gvkLogging = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Logging"}
	gvkFlow    = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Flow"}
	gvkOutput  = schema.GroupVersionKind{Group: "logging.banzaicloud.io", Version: "v1beta1", Kind: "Output"}
)

// playLogging does the logging-operator's part of what the function asks of it, on the host:
// it takes a Logging (reports the namespaces it watches), an Output (active), and a Flow
// (active, unless an output it names does not exist in its namespace: then the operator's
// problem). It does not run the aggregator: fluentd cannot run here, so the Logging's
// StatefulSet and the records' journey are not played (test/e2e/README.md).
func (cp *ControlPlane) playLogging(ctx context.Context) error {
	var errs []error
	loggings, err := cp.Host.List(ctx, gvkLogging, "")
	if err != nil {
		return err
	}
	for i := range loggings {
		l := &loggings[i]
		watched, _, _ := unstructured.NestedStringSlice(l.Object, "spec", "watchNamespaces")
		errs = append(errs, cp.setLoggingStatus(ctx, l, map[string]any{"watchNamespaces": toAny(watched), "problemsCount": int64(0)}))
	}
	outputs, err := cp.Host.List(ctx, gvkOutput, "")
	if err != nil {
		return err
	}
	names := map[string][]string{}
	for i := range outputs {
		o := &outputs[i]
		names[o.GetNamespace()] = append(names[o.GetNamespace()], o.GetName())
		errs = append(errs, cp.setLoggingStatus(ctx, o, map[string]any{"active": true, "problemsCount": int64(0)}))
	}
	flows, err := cp.Host.List(ctx, gvkFlow, "")
	if err != nil {
		return err
	}
	for i := range flows {
		f := &flows[i]
		refs, _, _ := unstructured.NestedStringSlice(f.Object, "spec", "localOutputRefs")
		var problems []any
		for _, r := range refs {
			if !slices.Contains(names[f.GetNamespace()], r) {
				problems = append(problems, fmt.Sprintf("dangling localOutputRef: %s", r))
			}
		}
		status := map[string]any{"active": len(problems) == 0, "problemsCount": int64(len(problems))}
		if len(problems) > 0 {
			status["problems"] = problems
		}
		errs = append(errs, cp.setLoggingStatus(ctx, f, status))
	}
	return errors.Join(errs...)
}

// setLoggingStatus writes status once it differs from what the object has.
func (cp *ControlPlane) setLoggingStatus(ctx context.Context, o *unstructured.Unstructured, status map[string]any) error {
	if o.GetDeletionTimestamp() != nil {
		return nil
	}
	have, _, _ := unstructured.NestedMap(o.Object, "status")
	if fmt.Sprint(have) == fmt.Sprint(status) {
		return nil
	}
	o.Object["status"] = status
	return cp.Host.UpdateStatus(ctx, o)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
