// Package fn is the composition function: it turns one TenantCluster into the resources of an
// isolated tenant.
package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"
	"k8s.io/apimachinery/pkg/runtime"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// internalError starts the Fatal result of a recovered panic: a bug, never the tenant's fault.
const internalError = "internal error in function-tenantcluster, please report it"

// Function runs the TenantCluster pipeline.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log    logging.Logger
	inputs inputCache
}

// NewFunction returns a Function that logs to log.
func NewFunction(log logging.Logger) *Function {
	return &Function{log: log}
}

// RunFunction decodes the request into a tenant, runs every layer and writes their resources,
// conditions and status into the response. It never returns an error: every problem becomes a
// result the tenant can read.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (rsp *fnv1.RunFunctionResponse, _ error) {
	rsp = response.To(req, response.DefaultTTL)
	defer func() {
		// A bug must not take the function down with every tenant's reconcile: it becomes a
		// Fatal result, which applies nothing and deletes nothing.
		if r := recover(); r != nil {
			f.log.Info("Recovered from a panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			rsp = response.To(req, response.DefaultTTL)
			response.Fatal(rsp, fmt.Errorf("%s: %v", internalError, r))
		}
	}()

	in, err := f.inputs.get(req)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}

	xr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot get the observed TenantCluster: %w", err))
		return rsp, nil
	}
	log := f.log.WithValues("xr", xr.Resource.GetName(), "namespace", xr.Resource.GetNamespace())

	t, err := newTenant(xr.Resource, in)
	if err != nil {
		fatalForTenant(rsp, err)
		log.Debug("Refused the TenantCluster", "error", err.Error())
		return rsp, nil
	}

	obs, err := request.GetObservedComposedResources(req)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot get the observed composed resources: %w", err))
		return rsp, nil
	}
	observed := observedState(obs)

	// The layers, in order. Each is a pure function of the tenant and the observed state.
	ns := namespaceLayer(t, observed)
	vc, err := vclusterLayer(t, observed)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	// Once exported, the kubeconfig stays a fact (kept in the XR status): a Helm upgrade that is
	// under way or failed makes the Release not ready, but the Secrets it exported remain, and
	// what reads them (the tenant target, Rancher's registrar) must not go.
	exported := vc.kubeconfigExported || (t.observedStatus.TenantTarget != nil && t.observedStatus.TenantTarget.Ready)
	target := tenantTargetLayer(t, exported)
	rancher := rancherLayer(t, observed, exported)
	usages, err := usagesLayer(t, dependencies(ns, vc, target, rancher), observed)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}

	desired := append([]desiredResource{ns, vc.release, target.kubernetes, target.helm}, rancher.resources...)
	desired = append(desired, usages...)
	desired = append(desired, t.releaseLegacyAgentNamespaces(observed)...)
	conditions := []layerCondition{vc.condition}
	status := v1alpha1.TenantClusterStatus{
		VCluster:     &vc.status,
		TenantTarget: &target.status,
	}
	if rancher.enabled {
		conditions = append(conditions, rancher.condition)
	}
	if rancher.enabled || rancher.status.CreatedProjectID != "" {
		status.Rancher = &rancher.status
	}
	status.Phase = phaseOf(conditions)
	if t.scope == scopeNamespaced {
		ref := t.connectionSecretRef()
		status.KubeconfigSecretRef = &ref
	}

	if err := writeDesired(req, rsp, desired, status, t.xrConnectionDetails(observed)); err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	setConditions(rsp, conditions)
	for _, w := range t.warnings {
		response.Warning(rsp, errors.New(w)).TargetCompositeAndClaim()
	}
	log.Debug("Composed the tenant", "tenant", t.id, "phase", status.Phase)
	return rsp, nil
}

// dependencies are the deletion orders between the layers' resources: whatever runs inside the
// virtual cluster, and the tenant target it runs through, go before the Release; the Release
// before its Namespace; Rancher deregisters the cluster before the virtual cluster (and the
// agent in it) goes; a project created for the tenant outlives its namespace,
// because Rancher deletes the namespaces of a deleted project.
func dependencies(ns desiredResource, vc vclusterOutput, target tenantTargetOutput, rancher rancherOutput) []dependency {
	deps := []dependency{
		{by: vc.release, of: ns},
		{by: target.kubernetes, of: vc.release},
		{by: target.helm, of: vc.release},
	}
	if rancher.enabled {
		// Rancher deregisters through the agent: the virtual cluster outlives the provisioning
		// Cluster.
		deps = append(deps, dependency{by: rancher.cluster, of: vc.release})
	}
	if rancher.project != nil {
		deps = append(deps, dependency{by: ns, of: *rancher.project})
	}
	return deps
}

// decodeInput reads the function's Input, applies its defaults and validates it. A missing Input
// means all defaults.
func decodeInput(req *fnv1.RunFunctionRequest) (*inputv1beta1.Input, error) {
	in := &inputv1beta1.Input{}
	if s := req.GetInput(); s != nil {
		// Decoded with encoding/json rather than request.GetInput: the JSON library behind
		// GetInput words its errors at random ("cannot" or "unable to"), and the same request
		// must always give the same response. Unknown fields are refused all the same.
		raw, err := json.Marshal(s.AsMap())
		if err != nil {
			return nil, fmt.Errorf("cannot read the function input: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(in); err != nil {
			return nil, fmt.Errorf("cannot read the function input (check the Composition's pipeline step): %w", err)
		}
	}
	in.Default()
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("invalid function input in the Composition: %w", err)
	}
	return in, nil
}

// fatalForTenant reports a problem with the claim: a Fatal result (nothing is applied, nothing is
// deleted) and a condition on the claim that names the field to fix.
func fatalForTenant(rsp *fnv1.RunFunctionResponse, err error) {
	response.Fatal(rsp, err)
	reason, typ := "InvalidSpec", conditionVClusterReady
	var fe *fieldError
	switch {
	case !errors.As(err, &fe):
		reason = "CannotCompose"
	case strings.HasPrefix(fe.field, "rancher"):
		// The condition of the layer the field belongs to.
		typ = conditionRancherRegistered
	}
	response.ConditionFalse(rsp, typ, reason).WithMessage(err.Error()).TargetCompositeAndClaim()
}

// writeDesired adds the desired composed resources and the XR status to the response, keeping
// what earlier functions in the pipeline put there.
func writeDesired(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, desired []desiredResource, status v1alpha1.TenantClusterStatus, conn resource.ConnectionDetails) error {
	dcds, err := request.GetDesiredComposedResources(req)
	if err != nil {
		return fmt.Errorf("cannot get the desired composed resources: %w", err)
	}
	for _, d := range desired {
		dc := &resource.DesiredComposed{Resource: toUnstructured(d.object), Ready: resource.ReadyFalse}
		if d.ready {
			dc.Ready = resource.ReadyTrue
		}
		dcds[d.name] = dc
	}
	if err := response.SetDesiredComposedResources(rsp, dcds); err != nil {
		return fmt.Errorf("cannot set the desired composed resources: %w", err)
	}

	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		return fmt.Errorf("cannot get the desired TenantCluster: %w", err)
	}
	st, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		return fmt.Errorf("cannot write the TenantCluster status: %w", err)
	}
	if err := dxr.Resource.SetValue("status", st); err != nil {
		return fmt.Errorf("cannot write the TenantCluster status: %w", err)
	}
	for k, v := range conn {
		if dxr.ConnectionDetails == nil {
			dxr.ConnectionDetails = resource.ConnectionDetails{}
		}
		dxr.ConnectionDetails[k] = v
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		return fmt.Errorf("cannot set the desired TenantCluster: %w", err)
	}
	return nil
}
