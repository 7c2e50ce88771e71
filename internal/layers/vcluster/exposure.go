package vcluster

import (
	"maps"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// annotationExternalDNSHostname asks external-dns to point a name at a LoadBalancer Service.
const annotationExternalDNSHostname = "external-dns.alpha.kubernetes.io/hostname"

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
func exposureValues(t *tenant.Tenant, cp *controlPlaneValues) {
	switch t.Exposure.Type {
	case inputv1beta1.ExposureIngress:
		ing := t.Input.Exposure.Ingress
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
			Host:        t.Exposure.Host,
			PathType:    "ImplementationSpecific",
			Annotations: values,
		}
		if ing.ClassName != "" {
			cp.Ingress.Spec = &ingressSpecValues{IngressClassName: ing.ClassName}
		}
	case inputv1beta1.ExposureLoadBalancer:
		annotations := maps.Clone(t.Input.Exposure.LoadBalancer.Annotations)
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[annotationExternalDNSHostname] = t.Exposure.Host
		cp.Service = &serviceValues{Spec: serviceSpecValues{Type: "LoadBalancer"}, Annotations: annotations}
	}
}

// extraSANs are every name the API server is reached by, so its certificate is valid for each.
func extraSANs(t *tenant.Tenant) []string {
	sans := []string{t.InternalHost()}
	if t.Exposure.Exposed() {
		sans = append(sans, t.Exposure.Host)
	}
	return sans
}
