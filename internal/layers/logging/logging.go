// Package logging is the logging layer: the tenant's container logs, collected on the host by the
// platform's logging-operator, go to the tenant's own sinks. In the Isolated model the tenant gets
// an aggregator of its own (a Logging whose control and watched namespace is its host
// namespace), attached to the platform's shared collector by the platform's LoggingRoute, so a
// failing sink fills only its own tenant's buffer; in the Shared model its Flow and Outputs
// belong to the platform's Logging.
package logging

import (
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Pipeline names of the layer's resources; an output's is outputPrefix and a hash of its name.
const (
	ResourceLogging resource.Name = "logging"
	ResourceFlow    resource.Name = "logging-flow"
	outputPrefix                  = "logging-output-"
)

// Condition and reasons of the logging layer.
const (
	ConditionLoggingReady = "LoggingReady"

	ReasonPending  = "Pending"
	ReasonProblems = "Problems"
	ReasonReady    = "Ready"
	ReasonOff      = compose.ReasonOff
)

const apiVersion = "logging.banzaicloud.io/v1beta1"

// vcluster's labels on every pod it syncs into the host namespace (pkg/util/translate in
// vcluster v0.36.1): the virtual cluster's name and the pod's namespace inside it. A tenant's own
// labels reach the host pod unchanged, except these and "release", which vcluster rewrites, so a
// claim cannot select by them; the control plane's pods carry app=vcluster and release=<name>
// and never the managed-by label.
const (
	labelManagedBy        = "vcluster.loft.sh/managed-by"
	labelVirtualNamespace = "vcluster.loft.sh/namespace"
	annotationVirtualName = "vcluster.loft.sh/name"
)

// Layer composes the tenant's logging on the host cluster, while the claim asks for it and the
// platform offers it; otherwise nothing, so that turning it off removes all of it.
func Layer(t *tenant.Tenant, observed compose.Observed) (layer.Output, error) {
	l := t.Logging
	if !l.Enabled {
		return off(t), nil
	}
	host := t.Input.Targets.Host.KubernetesProviderConfig
	var out layer.Output
	add := func(name resource.Name, suffix string, manifest map[string]any, readiness map[string]any) {
		out.Resources = append(out.Resources, compose.Desired{
			Name:   name,
			Object: compose.Object(t, suffix, host, manifest, readiness),
			Ready:  compose.IsReady(observed.Get(name)),
		})
		// Everything the layer composes lives in, or for, the host namespace: it goes first.
		out.Dependencies = append(out.Dependencies, compose.Dependency{By: name, Of: compose.ResourceNamespace})
	}
	if l.Model == inputv1beta1.LoggingIsolated {
		add(ResourceLogging, "logging", loggingManifest(t), compose.CelReadiness(loggingReadiness))
		out.Workloads = aggregatorWorkloads(t)
	}
	names := make([]string, 0, len(l.Outputs))
	for _, o := range l.Outputs {
		add(outputResource(o.Name), "log-"+tenant.ShortHash(o.Name), outputManifest(t, o), compose.CelReadiness(activeReadiness))
		names = append(names, outputName(o.Name))
	}
	add(ResourceFlow, "logging-flow", flowManifest(t, names), compose.CelReadiness(activeReadiness))
	resources, deps := copier(t).Compose(t, observed)
	out.Resources = append(out.Resources, resources...)
	out.Dependencies = append(out.Dependencies, deps...)

	status, condition := readStatus(t, observed)
	out.Conditions = []compose.Condition{condition}
	out.Status = func(s *v1alpha1.TenantClusterStatus) { s.Logging = &status }
	return out, nil
}

// off is the layer while the tenant has no logging: nothing composed. Crossplane keeps a
// condition the function stops returning, so a tenant whose logging was on is told it is off
// now, rather than left with its last LoggingReady; a tenant that never had it gets no
// condition at all.
func off(t *tenant.Tenant) layer.Output {
	return layer.Output{Conditions: compose.Off(t.ObservedConditions, ConditionLoggingReady,
		"Logging is off: the claim names no spec.logging, or the platform does not offer logging; nothing of this tenant's is collected")}
}

// outputResource is an output's pipeline name; outputName its Output's name in the host
// namespace (prefixed, so that it never meets an Output of the platform's there).
func outputResource(name string) resource.Name {
	return resource.Name(outputPrefix + tenant.ShortHash(name))
}

func outputName(name string) string { return "tenant-" + name }

// Readiness of the composed objects: the logging-operator marks a Flow and an Output active once
// it has taken them into the aggregator's configuration, and lists what is wrong as problems.
const (
	activeReadiness  = "has(object.status) && has(object.status.active) && object.status.active && (!has(object.status.problemsCount) || object.status.problemsCount == 0)"
	loggingReadiness = "has(object.status) && (!has(object.status.problemsCount) || object.status.problemsCount == 0)"
)

// readStatus reads the logging-operator's answers from the observed Objects: each output's
// problems, the Flow's, the Logging's.
func readStatus(t *tenant.Tenant, observed compose.Observed) (v1alpha1.LoggingStatus, compose.Condition) {
	status := v1alpha1.LoggingStatus{Model: t.Logging.Model}
	c := compose.Condition{Type: ConditionLoggingReady}
	var problems []string
	ready := true
	for _, o := range t.Logging.Outputs {
		u := observed.Get(outputResource(o.Name))
		s := v1alpha1.LogOutputStatus{Name: o.Name, Ready: compose.IsReady(u), Problems: manifestProblems(compose.ObservedManifest(u))}
		for _, p := range s.Problems {
			problems = append(problems, fmt.Sprintf("output %s: %s", o.Name, p))
		}
		ready = ready && s.Ready
		status.Outputs = append(status.Outputs, s)
	}
	for _, r := range []struct {
		name resource.Name
		what string
	}{{ResourceFlow, "the Flow"}, {ResourceLogging, "the aggregator's Logging"}} {
		if r.name == ResourceLogging && t.Logging.Model != inputv1beta1.LoggingIsolated {
			continue
		}
		u := observed.Get(r.name)
		for _, p := range manifestProblems(compose.ObservedManifest(u)) {
			problems = append(problems, r.what+": "+p)
		}
		ready = ready && compose.IsReady(u)
	}
	if p := copier(t).Problem(t, observed, "the outputs' credentials"); p != "" {
		problems = append([]string{p}, problems...)
	}
	switch {
	case len(problems) > 0:
		c.Reason = ReasonProblems
		c.Message = "The logging-operator reports problems; fix the outputs named in spec.logging.outputs: " + strings.Join(problems, "; ")
	case ready:
		c.Status, c.Reason = true, ReasonReady
		c.Message = fmt.Sprintf("Logs go to %d outputs", len(t.Logging.Outputs))
	default:
		c.Reason = ReasonPending
		c.Message = "Waiting for the logging-operator to take the tenant's Flow and Outputs"
		names := []resource.Name{ResourceFlow}
		if t.Logging.Model == inputv1beta1.LoggingIsolated {
			names = append(names, ResourceLogging)
		}
		for _, o := range t.Logging.Outputs {
			names = append(names, outputResource(o.Name))
		}
		c.Message += "." + compose.SyncProblem(observed, names...)
	}
	return status, c
}

// manifestProblems are the problems the logging-operator lists in an observed object's status.
func manifestProblems(m map[string]any) []string {
	st, _ := m["status"].(map[string]any)
	raw, _ := st["problems"].([]any)
	var out []string
	for _, p := range raw {
		if s, ok := p.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
