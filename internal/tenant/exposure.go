package tenant

import (
	"fmt"
	"slices"
	"strings"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Exposure is how the tenant's API server is reached from outside the host cluster.
type Exposure struct {
	// Type is the way of exposure (the Input's ExposureNone, ExposureIngress, ...).
	Type string
	// Host is the external host name, <tenant id>.<platform domain>; empty when not exposed.
	Host string
}

// Exposed reports whether the API server has an external address.
func (e Exposure) Exposed() bool { return e.Host != "" }

// resolveExposure picks the claim's way of exposure (or the platform's default) among those the
// platform offers. The host name is always the platform's: derived from the tenant ID, so no
// tenant can claim another's name.
func resolveExposure(spec v1alpha1.TenantClusterSpec, id string, in *inputv1beta1.Input) (Exposure, error) {
	typ := in.Defaults.Exposure
	if spec.Exposure != nil && spec.Exposure.Type != "" {
		typ = string(spec.Exposure.Type)
	}
	offered := in.ExposureTypes()
	if !slices.Contains(offered, typ) {
		return Exposure{}, &FieldError{Field: "exposure.type", Message: fmt.Sprintf(
			"%q is not offered on this platform; choose one of %s", typ, strings.Join(offered, ", "))}
	}
	if typ == inputv1beta1.ExposureNone && in.Targets.Tenant.Endpoint == inputv1beta1.TenantEndpointExternal {
		return Exposure{}, &FieldError{Field: "exposure.type", Message: fmt.Sprintf(
			"this platform reaches virtual clusters through their external address, so None is not possible; choose one of %s",
			strings.Join(offered[1:], ", "))}
	}
	e := Exposure{Type: typ}
	switch typ {
	case inputv1beta1.ExposureIngress:
		e.Host = id + "." + in.Exposure.Ingress.Domain
	case inputv1beta1.ExposureLoadBalancer:
		e.Host = id + "." + in.Exposure.LoadBalancer.Domain
	}
	return e, nil
}

// InternalHost is the API server's name inside the host cluster: its Service.
func (t *Tenant) InternalHost() string {
	return t.ReleaseName + "." + t.HostNamespace + ".svc"
}

// InternalEndpoint and ExternalEndpoint are the API server's URLs. The Service listens on 443.
func (t *Tenant) InternalEndpoint() string { return "https://" + t.InternalHost() + ":443" }

// ExternalEndpoint is "" when the API server is not exposed.
func (t *Tenant) ExternalEndpoint() string {
	if !t.Exposure.Exposed() {
		return ""
	}
	return "https://" + t.Exposure.Host + ":443"
}
