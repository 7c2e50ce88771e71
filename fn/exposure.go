package fn

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// annotationExternalDNSHostname asks external-dns to point a name at a LoadBalancer Service.
const annotationExternalDNSHostname = "external-dns.alpha.kubernetes.io/hostname"

// exposure is how the tenant's API server is reached from outside the host cluster.
type exposure struct {
	typ string
	// host is the external host name, <tenant id>.<platform domain>; empty when not exposed.
	host string
}

// exposed reports whether the API server has an external address.
func (e exposure) exposed() bool { return e.host != "" }

// resolveExposure picks the claim's way of exposure (or the platform's default) among those the
// platform offers. The host name is always the platform's: derived from the tenant ID, so no
// tenant can claim another's name.
func resolveExposure(spec v1alpha1.TenantClusterSpec, id string, in *inputv1beta1.Input) (exposure, error) {
	typ := in.Defaults.Exposure
	if spec.Exposure != nil && spec.Exposure.Type != "" {
		typ = string(spec.Exposure.Type)
	}
	offered := in.ExposureTypes()
	if !slices.Contains(offered, typ) {
		return exposure{}, &fieldError{field: "exposure.type", message: fmt.Sprintf(
			"%q is not offered on this platform; choose one of %s", typ, strings.Join(offered, ", "))}
	}
	if typ == inputv1beta1.ExposureNone && in.Targets.Tenant.Endpoint == inputv1beta1.TenantEndpointExternal {
		return exposure{}, &fieldError{field: "exposure.type", message: fmt.Sprintf(
			"this platform reaches virtual clusters through their external address, so None is not possible; choose one of %s",
			strings.Join(offered[1:], ", "))}
	}
	e := exposure{typ: typ}
	switch typ {
	case inputv1beta1.ExposureIngress:
		e.host = id + "." + in.Exposure.Ingress.Domain
	case inputv1beta1.ExposureLoadBalancer:
		e.host = id + "." + in.Exposure.LoadBalancer.Domain
	}
	return e, nil
}

// passthroughAnnotations make each known ingress controller hand the TLS connection to the
// virtual cluster unopened: the virtual cluster authenticates clients by their certificates,
// which a controller that terminates TLS would strip.
func passthroughAnnotations(c inputv1beta1.IngressController) map[string]string {
	switch c {
	case inputv1beta1.IngressNginx:
		// The chart's own defaults, stated so that they survive a change of chart defaults.
		return map[string]string{
			"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
			"nginx.ingress.kubernetes.io/ssl-passthrough":  "true",
			"nginx.ingress.kubernetes.io/ssl-redirect":     "true",
		}
	case inputv1beta1.IngressHAProxyTech:
		return map[string]string{"haproxy.org/ssl-passthrough": "true"}
	case inputv1beta1.IngressHAProxyIngress:
		return map[string]string{"haproxy-ingress.github.io/ssl-passthrough": "true"}
	}
	return map[string]string{}
}

// exposureValues sets the chart's ingress or Service for the tenant's way of exposure.
func (t *tenant) exposureValues(cp *controlPlaneValues) {
	switch t.exposure.typ {
	case inputv1beta1.ExposureIngress:
		ing := t.input.Exposure.Ingress
		annotations := passthroughAnnotations(ing.Controller)
		// The platform's annotations cannot switch passthrough off again.
		platform := maps.Clone(ing.Annotations)
		maps.DeleteFunc(platform, func(k, _ string) bool { _, ours := annotations[k]; return ours })
		maps.Copy(annotations, platform)
		// Helm merges these over the chart's default annotations, ingress-nginx's: for any other
		// controller those are removed (a null value deletes a key of the chart's defaults),
		// unless the platform sets them itself.
		values := map[string]*string{}
		for k := range passthroughAnnotations(inputv1beta1.IngressNginx) {
			values[k] = nil
		}
		for k, v := range annotations {
			values[k] = &v
		}
		cp.Ingress = &ingressValues{
			Enabled:     true,
			Host:        t.exposure.host,
			PathType:    "ImplementationSpecific",
			Annotations: values,
		}
		if ing.ClassName != "" {
			cp.Ingress.Spec = &ingressSpecValues{IngressClassName: ing.ClassName}
		}
	case inputv1beta1.ExposureLoadBalancer:
		annotations := maps.Clone(t.input.Exposure.LoadBalancer.Annotations)
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[annotationExternalDNSHostname] = t.exposure.host
		cp.Service = &serviceValues{Spec: serviceSpecValues{Type: "LoadBalancer"}, Annotations: annotations}
	}
}

// internalHost is the API server's name inside the host cluster: its Service.
func (t *tenant) internalHost() string {
	return t.releaseName + "." + t.hostNamespace + ".svc"
}

// internalEndpoint and externalEndpoint are the API server's URLs. The Service listens on 443.
func (t *tenant) internalEndpoint() string { return "https://" + t.internalHost() + ":443" }

func (t *tenant) externalEndpoint() string {
	if !t.exposure.exposed() {
		return ""
	}
	return "https://" + t.exposure.host + ":443"
}

// extraSANs are every name the API server is reached by, so its certificate is valid for each.
func (t *tenant) extraSANs() []string {
	sans := []string{t.internalHost()}
	if t.exposure.exposed() {
		sans = append(sans, t.exposure.host)
	}
	return sans
}
