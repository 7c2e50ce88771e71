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
	"slices"
	"strings"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"
	"k8s.io/apimachinery/pkg/runtime"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
	"github.com/tenantcluster/function-tenantcluster/internal/checks"
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	logginglayer "github.com/tenantcluster/function-tenantcluster/internal/layers/logging"
	monitoringlayer "github.com/tenantcluster/function-tenantcluster/internal/layers/monitoring"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/vcluster"
	"github.com/tenantcluster/function-tenantcluster/internal/pipeline"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
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

	t, err := tenant.New(xr.Resource, in)
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

	// The layers, in order, each a pure function of the tenant and the observed state; then the
	// cross-cutting checks over every workload they declare.
	out, err := pipeline.Run(t, compose.Observed(obs))
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	if err := claimQuotaFits(t, out.Violations); err != nil {
		fatalForTenant(rsp, err)
		return rsp, nil
	}

	if err := writeDesired(req, rsp, out.Desired, out.Status, out.ConnectionDetails); err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	setConditions(rsp, out.Conditions)
	for _, w := range t.Warnings {
		response.Warning(rsp, errors.New(w)).TargetCompositeAndClaim()
	}
	for _, v := range out.Violations {
		response.Warning(rsp, fmt.Errorf("the platform's own workloads break a rule of this tenant's namespace: %s", v)).TargetCompositeAndClaim()
	}
	log.Debug("Composed the tenant", "tenant", t.ID, "phase", out.Status.Phase)
	return rsp, nil
}

// claimQuotaFits refuses a claim whose own quota (spec.resources.quota) leaves no room for the
// platform's workloads in its namespace: the control plane itself would be refused. A quota
// problem of the platform's own profile is the platform's to fix, and is only warned about.
func claimQuotaFits(t *tenant.Tenant, violations []checks.Violation) error {
	for _, v := range violations {
		if v.Check == "quota" && slices.Contains(t.Isolation.ClaimQuota, v.Resource) {
			return &tenant.FieldError{Field: "resources.quota[" + string(v.Resource) + "]", Message: v.Message + "; ask for more, or remove the entry to get the size profile's"}
		}
	}
	return nil
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
	reason, typ := "InvalidSpec", vcluster.ConditionVClusterReady
	var fe *tenant.FieldError
	switch {
	case !errors.As(err, &fe):
		reason = "CannotCompose"
	case strings.HasPrefix(fe.Field, "rancher"):
		// The condition of the layer the field belongs to.
		typ = rancher.ConditionRancherRegistered
	case strings.HasPrefix(fe.Field, "logging"):
		typ = logginglayer.ConditionLoggingReady
	case strings.HasPrefix(fe.Field, "monitoring"):
		typ = monitoringlayer.ConditionMonitoringReady
	}
	response.ConditionFalse(rsp, typ, reason).WithMessage(err.Error()).TargetCompositeAndClaim()
}

// writeDesired adds the desired composed resources and the XR status to the response, keeping
// what earlier functions in the pipeline put there.
func writeDesired(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, desired []compose.Desired, status v1alpha1.TenantClusterStatus, conn resource.ConnectionDetails) error {
	dcds, err := request.GetDesiredComposedResources(req)
	if err != nil {
		return fmt.Errorf("cannot get the desired composed resources: %w", err)
	}
	for _, d := range desired {
		dc := &resource.DesiredComposed{Resource: compose.ToUnstructured(d.Object), Ready: resource.ReadyFalse}
		if d.Ready {
			dc.Ready = resource.ReadyTrue
		}
		dcds[d.Name] = dc
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

// setConditions writes the layers' conditions to the response, targeted at XR and claim.
func setConditions(rsp *fnv1.RunFunctionResponse, conds []compose.Condition) {
	for _, c := range conds {
		var opt *response.ConditionOption
		if c.Status {
			opt = response.ConditionTrue(rsp, c.Type, c.Reason)
		} else {
			opt = response.ConditionFalse(rsp, c.Type, c.Reason)
		}
		opt.WithMessage(c.Message).TargetCompositeAndClaim()
	}
}
