package vcluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestExposure checks each way of exposure end to end through the values: the ingress or
// Service, the certificate's names, the exported kubeconfigs, the endpoint the tenant gets and
// the kubeconfig the tenant ProviderConfigs read.
func TestExposure(t *testing.T) {
	const (
		ns       = "tenant-team-a-dev-c553f163"
		internal = "https://dev." + ns + ".svc:443"
		host     = "team-a-dev-c553f163.t.example.com"
	)
	internalSecret := kubeconfigSecretValues{Name: "vc-dev-internal", Namespace: ns, Server: internal, Context: "dev"}
	externalSecret := kubeconfigSecretValues{Name: "vc-dev-external", Namespace: ns, Server: "https://" + host + ":443", Context: "dev"}
	type want struct {
		ingress  *ingressValues
		service  *serviceValues
		sans     []string
		secrets  []kubeconfigSecretValues
		endpoint string
		pcKey    string
	}
	cases := map[string]struct {
		reason      string
		input, spec string
		want        want
	}{
		"None": {
			reason: "An API server that is not exposed is reached only through its Service; the tenant and the ProviderConfigs share the in-cluster kubeconfig.",
			input:  "{}", spec: "{}",
			want: want{sans: []string{"dev." + ns + ".svc"}, secrets: []kubeconfigSecretValues{internalSecret}, endpoint: internal, pcKey: "kubeconfig"},
		},
		"IngressNginx": {
			reason: "ingress-nginx passes TLS through with its three annotations; the platform's class is set; the host is the tenant ID under the platform's domain.",
			input:  "{exposure: {ingress: {domain: t.example.com, className: nginx}}}", spec: "{exposure: {type: Ingress}}",
			want: want{
				ingress: &ingressValues{Enabled: true, Host: host, PathType: "ImplementationSpecific", Spec: &ingressSpecValues{IngressClassName: "nginx"},
					Annotations: annotations(map[string]string{
						"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
						"nginx.ingress.kubernetes.io/ssl-passthrough":  "true",
						"nginx.ingress.kubernetes.io/ssl-redirect":     "true",
					})},
				sans:     []string{"dev." + ns + ".svc", host},
				secrets:  []kubeconfigSecretValues{externalSecret, internalSecret},
				endpoint: "https://" + host + ":443",
				pcKey:    "kubeconfig-internal",
			},
		},
		"IngressHAProxyWithPlatformAnnotations": {
			reason: "haproxytech's passthrough annotation is set and a platform annotation cannot switch it off; other platform annotations are added; the chart's default ingress-nginx annotations are removed (null).",
			input:  "{exposure: {ingress: {domain: t.example.com, controller: haproxy, annotations: {haproxy.org/ssl-passthrough: 'false', haproxy.org/timeout-tunnel: 1h}}}}",
			spec:   "{exposure: {type: Ingress}}",
			want: want{
				ingress: &ingressValues{Enabled: true, Host: host, PathType: "ImplementationSpecific",
					Annotations: annotations(map[string]string{"haproxy.org/ssl-passthrough": "true", "haproxy.org/timeout-tunnel": "1h"})},
				sans:     []string{"dev." + ns + ".svc", host},
				secrets:  []kubeconfigSecretValues{externalSecret, internalSecret},
				endpoint: "https://" + host + ":443",
				pcKey:    "kubeconfig-internal",
			},
		},
		"IngressHAProxyIngress": {
			reason: "jcmoraisjr's haproxy-ingress has its own passthrough annotation.",
			input:  "{exposure: {ingress: {domain: t.example.com, controller: haproxy-ingress}}}", spec: "{exposure: {type: Ingress}}",
			want: want{
				ingress: &ingressValues{Enabled: true, Host: host, PathType: "ImplementationSpecific",
					Annotations: annotations(map[string]string{"haproxy-ingress.github.io/ssl-passthrough": "true"})},
				sans:     []string{"dev." + ns + ".svc", host},
				secrets:  []kubeconfigSecretValues{externalSecret, internalSecret},
				endpoint: "https://" + host + ":443",
				pcKey:    "kubeconfig-internal",
			},
		},
		"LoadBalancerExternalEndpoint": {
			reason: "A LoadBalancer Service gets the platform's annotations and external-dns's hostname; where Crossplane reaches virtual clusters from outside, the ProviderConfigs read the external kubeconfig.",
			input:  "{targets: {tenant: {endpoint: External}}, defaults: {exposure: LoadBalancer}, exposure: {loadBalancer: {domain: t.example.com, annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing}}}}",
			spec:   "{}",
			want: want{
				service: &serviceValues{Spec: serviceSpecValues{Type: "LoadBalancer"}, Annotations: map[string]string{
					"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
					"external-dns.alpha.kubernetes.io/hostname":           host,
				}},
				sans:     []string{"dev." + ns + ".svc", host},
				secrets:  []kubeconfigSecretValues{externalSecret, internalSecret},
				endpoint: "https://" + host + ":443",
				pcKey:    "kubeconfig",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tn := tenanttest.New(t, tc.input, tc.spec, "{}")
			v := mustValues(t, tn)
			got := want{
				ingress: v.ControlPlane.Ingress, service: v.ControlPlane.Service, sans: v.ControlPlane.Proxy.ExtraSANs,
				secrets: v.ExportKubeConfig.AdditionalSecrets, pcKey: tn.ProviderConfigKey(),
				endpoint: tn.InternalEndpoint(),
			}
			if tn.Exposure.Exposed() {
				got.endpoint = tn.ExternalEndpoint()
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestExposureServiceInQuota: a LoadBalancer-exposed control plane's Service counts against the
// tenant's own quota (one load balancer, one node port for https); the function makes room for
// it on top of what the profile allows the tenant, and only for entries the quota bounds.
func TestExposureServiceInQuota(t *testing.T) {
	lb := "{exposure: {loadBalancer: {domain: t.example.com}, ingress: {domain: t.example.com}}}"
	cases := map[string]struct {
		reason, input, spec string
		want                map[corev1.ResourceName]string
	}{
		"LoadBalancer": {
			reason: "The profile's 0 load balancers and node ports become 1 each.",
			input:  lb, spec: "{exposure: {type: LoadBalancer}}",
			want: map[corev1.ResourceName]string{"services.loadbalancers": "1", "services.nodeports": "1"},
		},
		"Ingress": {
			reason: "Through an Ingress the tenant's quota stays as the profile says.",
			input:  lb, spec: "{exposure: {type: Ingress}}",
			want: map[corev1.ResourceName]string{"services.loadbalancers": "0", "services.nodeports": "0"},
		},
		"Unbounded": {
			reason: "An entry the profile leaves unbounded stays unbounded.",
			input:  `{exposure: {loadBalancer: {domain: t.example.com}}, sizes: {s: {quota: {count/pods: "10"}}}, defaults: {size: s}}`, spec: "{exposure: {type: LoadBalancer}}",
			want: map[corev1.ResourceName]string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q := mustValues(t, tenanttest.New(t, tc.input, tc.spec, "{}")).Policies.ResourceQuota.Quota
			got := map[corev1.ResourceName]string{}
			for _, n := range []corev1.ResourceName{"services.loadbalancers", "services.nodeports"} {
				if v, ok := q[n]; ok {
					got[n] = v.String()
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// annotations are the ingress annotation values for the chart: these set, the chart's default
// ingress-nginx annotations removed (nil) unless set.
func annotations(set map[string]string) map[string]*string {
	out := map[string]*string{
		"nginx.ingress.kubernetes.io/backend-protocol": nil,
		"nginx.ingress.kubernetes.io/ssl-passthrough":  nil,
		"nginx.ingress.kubernetes.io/ssl-redirect":     nil,
	}
	for k, v := range set {
		out[k] = &v
	}
	return out
}
