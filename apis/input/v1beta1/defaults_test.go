package v1beta1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		reason string
		modify func(in *Input)
		want   string
	}{
		"Defaults": {
			reason: "An empty Input, defaulted, is valid.",
			modify: func(*Input) {},
		},
		"ChartVersionWithV": {
			reason: "A chart version with a leading v made provider-helm upgrade on every poll.",
			modify: func(in *Input) { in.VCluster.Chart.Version = "v0.36.1" },
			want:   `input vcluster.chart.version "v0.36.1" must not start with "v": write the exact chart version, e.g. "0.36.1"`,
		},
		"EtcdOverQuota": {
			reason: "A highly available profile whose etcd volumes exceed its own storage quota would lose its third member.",
			modify: func(in *Input) {
				p := in.Sizes["large"]
				p.Quota["requests.storage"] = resource.MustParse("50Gi")
				in.Sizes["large"] = p
			},
			want: `input sizes.large: the profile's own workloads need requests.storage 60Gi (3 etcd members × 20Gi data volume), above its quota of 50Gi; raise quota.requests.storage to at least 60Gi`,
		},
		"PodsOverQuota": {
			reason: "The control plane, etcd and CoreDNS are pods of the tenant's namespace.",
			modify: func(in *Input) {
				p := in.Sizes["large"]
				p.Quota["count/pods"] = resource.MustParse("6")
				in.Sizes["large"] = p
			},
			want: `input sizes.large: the profile's own workloads need count/pods 7 (7 control plane and data store pods and CoreDNS), above its quota of 6; raise quota.count/pods to at least 7`,
		},
		"EmbeddedEtcdPods": {
			reason: "With embedded etcd (vCluster Pro) the data store runs in the control plane's own pods.",
			modify: func(in *Input) {
				in.VCluster.AllowPro = true
				p := in.Sizes["large"]
				p.Quota["count/pods"] = resource.MustParse("4")
				in.Sizes["large"] = p
			},
		},
		"ControlPlaneOverCPUQuota": {
			reason: "Every control plane replica's requests count.",
			modify: func(in *Input) {
				p := in.Sizes["small"]
				p.Replicas = 2
				p.Quota["requests.cpu"] = resource.MustParse("300m")
				in.Sizes["small"] = p
			},
			want: `input sizes.small: the profile's own workloads need requests.cpu 400m (2 control plane replicas × 200m), above its quota of 300m; raise quota.requests.cpu to at least 400m`,
		},
		"ControlPlaneAboveLimitRange": {
			reason: "The profile's limit range would refuse its own control plane.",
			modify: func(in *Input) {
				p := in.Sizes["small"]
				p.LimitRange.Max["memory"] = resource.MustParse("512Mi")
				in.Sizes["small"] = p
			},
			want: `input sizes.small: the control plane's memory limit 1Gi is above the profile's limitRange.max 512Mi, which would refuse it`,
		},
		"DefaultVersionNotOffered": {
			reason: "The default Kubernetes version must be one the platform offers.",
			modify: func(in *Input) { in.Defaults.KubernetesVersion = "1.30" },
			want:   `input defaults.kubernetesVersion "1.30" is not one of vcluster.kubernetesVersions (1.36)`,
		},
		"DefaultSizeNotOffered": {
			reason: "The default size must be one of the sizes.",
			modify: func(in *Input) { in.Defaults.Size = "xl" },
			want:   `input defaults.size "xl" is not one of sizes (large, medium, small)`,
		},
		"DefaultBelowFloor": {
			reason: "The platform's own default cannot break its floor.",
			modify: func(in *Input) { in.Defaults.PodSecurity = "privileged" },
			want:   `input defaults.podSecurity "privileged" is below policy.podSecurityFloor "baseline"`,
		},
		"BadVersionEntry": {
			reason: "Every offered version needs a minor version and an image tag.",
			modify: func(in *Input) {
				in.VCluster.KubernetesVersions = append(in.VCluster.KubernetesVersions, KubernetesVersion{Version: "2.0", ImageTag: "v2.0.0"})
			},
			want: `input vcluster.kubernetesVersions[1] needs a version like "1.36" and an imageTag like "v1.36.0"`,
		},
		"LongPrefix": {
			reason: "The namespace prefix budget keeps every namespace name within 63 characters.",
			modify: func(in *Input) { in.Namespace.Prefix = "a-very-long-prefix-of-tenants-" },
			want:   `input namespace.prefix "a-very-long-prefix-of-tenants-" is longer than 20 characters`,
		},
		"SizeReplicas": {
			reason: "A size profile's replicas are bounded.",
			modify: func(in *Input) { p := in.Sizes["small"]; p.Replicas = 9; in.Sizes["small"] = p },
			want:   `input sizes.small: replicas must be between 1 and 7, got 9`,
		},
		"SizeRetention": {
			reason: "A volume is retained or deleted, nothing else.",
			modify: func(in *Input) { in.Sizes["medium"].Persistence.RetentionPolicy = "Keep" },
			want:   `input sizes.medium: persistence.retentionPolicy must be Retain or Delete, got "Keep"`,
		},
		"IngressWithoutDomain": {
			reason: "Tenants' host names are made under the platform's domain, so ingress exposure needs one.",
			modify: func(in *Input) { in.Exposure.Ingress = &IngressExposure{Controller: IngressNginx} },
			want:   `input exposure.ingress.domain is required: tenants' host names are made under it`,
		},
		"LoadBalancerBadDomain": {
			reason: "A domain must be a DNS name.",
			modify: func(in *Input) { in.Exposure.LoadBalancer = &LoadBalancerExposure{Domain: "Tenants_Example"} },
			want:   `input exposure.loadBalancer.domain "Tenants_Example" must be a DNS name of at most 190 characters`,
		},
		"UnknownIngressController": {
			reason: "Only controllers whose passthrough annotations the function knows, or other.",
			modify: func(in *Input) {
				in.Exposure.Ingress = &IngressExposure{Domain: "t.example.com", Controller: "traefik"}
			},
			want: `input exposure.ingress.controller "traefik" must be one of ingress-nginx, haproxy, haproxy-ingress, other`,
		},
		"DefaultExposureNotOffered": {
			reason: "The default exposure must be configured.",
			modify: func(in *Input) { in.Defaults.Exposure = ExposureIngress },
			want:   `input defaults.exposure "Ingress" is not offered: offered are None (configure exposure.ingress or exposure.loadBalancer to offer more)`,
		},
		"ExternalEndpointWithoutExposure": {
			reason: "ProviderConfigs that reach virtual clusters from outside need every tenant exposed.",
			modify: func(in *Input) { in.Targets.Tenant.Endpoint = TenantEndpointExternal },
			want:   `input targets.tenant.endpoint External needs every tenant exposed: set defaults.exposure to Ingress or LoadBalancer`,
		},
		"BadEgressCIDR": {
			reason: "The platform's egress ranges must parse.",
			modify: func(in *Input) { in.Policy.Network.EgressCIDRs = []string{"10.0.0.0/33"} },
			want:   `input policy.network.egressCIDRs[0] "10.0.0.0/33" is not a CIDR: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`,
		},
		"BadSecretNamespace": {
			reason: "The kubeconfig namespace must be a namespace name.",
			modify: func(in *Input) { in.Kubeconfig.SecretNamespace = "Crossplane System" },
			want:   `input kubeconfig.secretNamespace "Crossplane System" is not a namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		},
		"UnknownUsageAPI": {
			reason: "Usages come in two API versions.",
			modify: func(in *Input) { in.Usages.APIVersion = "apiextensions.crossplane.io/v1alpha1" },
			want:   `input usages.apiVersion "apiextensions.crossplane.io/v1alpha1" must be protection.crossplane.io/v1beta1 (Crossplane 2) or apiextensions.crossplane.io/v1beta1 (Crossplane 1.x)`,
		},
		"RancherWithoutURL": {
			reason: "Registration needs Rancher's URL.",
			modify: func(in *Input) { in.Rancher.Enabled = true },
			want:   `input rancher.url is required when rancher.enabled is true: set Rancher's server URL, e.g. https://rancher.example.com`,
		},
		"RancherURLWithPath": {
			reason: "Rancher's URL is its server URL, https, without a path.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "http://rancher.example.com/dashboard"}
				in.Default()
			},
			want: `input rancher.url "http://rancher.example.com/dashboard" must be Rancher's https server URL without a path, e.g. https://rancher.example.com`,
		},
		"RancherCABundleNotPEM": {
			reason: "The CA bundle must be PEM certificates: a key or garbage would break every installer.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", CABundle: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}
				in.Default()
			},
			want: `input rancher.caBundle: holds a "PRIVATE KEY" PEM block; only certificates belong here`,
		},
		"RancherInstallerNotPinned": {
			reason: "The installer image must be pinned: a moving tag would change what runs in every tenant.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", Agent: RancherAgent{InstallerImage: "registry.k8s.io/kubectl:latest"}}
				in.Default()
			},
			want: `input rancher.agent.installerImage "registry.k8s.io/kubectl:latest" must be pinned to an exact tag or digest, e.g. docker.io/alpine/k8s:1.34.2`,
		},
		"LogCopierNotPinned": {
			reason: "The credentials copier's image must be pinned, like the registrar's.",
			modify: func(in *Input) {
				in.Logging.Credentials.Image = "docker.io/alpine/k8s"
			},
			want: `input logging.credentials.image "docker.io/alpine/k8s" must be pinned to an exact tag or digest, e.g. docker.io/alpine/k8s:1.34.2`,
		},
		"LogCopierRefreshTooOften": {
			reason: "A copy every few seconds would load the API servers for nothing.",
			modify: func(in *Input) {
				in.Logging.Credentials.RefreshSeconds = 5
			},
			want: `input logging.credentials.refreshSeconds 5 must be between 60 and 86400`,
		},
		"LogCopierHostHalfConfigured": {
			reason: "Writing on another host cluster needs both the kubeconfig and its identity there.",
			modify: func(in *Input) {
				in.Logging.Credentials.HostSubject = &rbacv1.Subject{Kind: rbacv1.UserKind, Name: "writer"}
			},
			want: `input logging.credentials.hostKubeconfigSecret and hostSubject go together: set both when Crossplane does not run on the host cluster, neither when it does`,
		},
		"RegistrarHalfConfigured": {
			reason: "The platform's reader needs both its kubeconfig and its identity on Rancher's cluster.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", Registrar: RancherRegistrar{RancherKubeconfigSecret: "reader"}}
				in.Default()
			},
			want: `input rancher.registrar.rancherKubeconfigSecret and rancherSubject go together: set both when Crossplane does not run on Rancher's cluster, neither when it does`,
		},
		"RegistrarSubjectKind": {
			reason: "The reader's identity is a User, Group or ServiceAccount.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", Registrar: RancherRegistrar{
					RancherKubeconfigSecret: "reader", RancherSubject: &rbacv1.Subject{Kind: "Robot", Name: "r"}}}
				in.Default()
			},
			want: `input rancher.registrar.rancherSubject.kind "Robot" must be User, Group or ServiceAccount`,
		},
		"RancherUnderRestrictedFloor": {
			reason: "Rancher's agent runs in the host namespace and does not meet restricted: a restricted floor and registration cannot go together.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com"}
				in.Policy.PodSecurityFloor = "restricted"
				in.Default()
			},
			want: `input rancher.enabled needs policy.podSecurityFloor baseline or lower: Rancher's cluster agent runs in the tenant's host namespace and does not meet restricted (a tenant that asks for restricted still gets it, enforced inside its virtual cluster)`,
		},
		"RancherProjectsWithoutHostCluster": {
			reason: "Projects belong to the host cluster's Rancher ID.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", Projects: RancherProjects{Create: true}}
				in.Default()
			},
			want: `input rancher.projects.hostClusterId "" must be the host cluster's Rancher ID (local, or c-m-...) when projects are created or joined`,
		},
		"RancherBadEgress": {
			reason: "Rancher's addresses are CIDRs.",
			modify: func(in *Input) {
				in.Rancher = RancherSettings{Enabled: true, URL: "https://rancher.example.com", EgressCIDRs: []string{"rancher.example.com"}}
				in.Default()
			},
			want: `input rancher.egressCIDRs[0] "rancher.example.com" is not a CIDR: netip.ParsePrefix("rancher.example.com"): no '/'`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := &Input{}
			in.Default()
			tc.modify(in)
			got := ""
			if err := in.Validate(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nValidate(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDefaultPicksNewestVersion(t *testing.T) {
	in := &Input{VCluster: VClusterSettings{KubernetesVersions: []KubernetesVersion{
		{Version: "1.9", ImageTag: "v1.9.0"}, {Version: "1.36", ImageTag: "v1.36.0"}, {Version: "1.35", ImageTag: "v1.35.0"},
	}}}
	in.Default()
	if in.Defaults.KubernetesVersion != "1.36" {
		t.Errorf("Default(): defaults.kubernetesVersion = %q, want the newest offered, 1.36 (compared as numbers, not strings)", in.Defaults.KubernetesVersion)
	}
	if diff := cmp.Diff([]string{"1.9", "1.35", "1.36"}, in.OfferedVersions()); diff != "" {
		t.Errorf("OfferedVersions(): -want, +got:\n%s", diff)
	}
}
