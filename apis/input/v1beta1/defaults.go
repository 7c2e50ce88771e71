package v1beta1

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The defaults of the Input. They live here, in code, because Crossplane passes the Input to the
// function as it is written in the Composition: no API server ever applies CRD defaults to it.
const (
	DefaultProviderConfig   = "default"
	DefaultNamespacePrefix  = "tenant-"
	DefaultChartRepository  = "https://charts.loft.sh"
	DefaultChartName        = "vcluster"
	DefaultChartVersion     = "0.36.1"
	DefaultMaxHistory       = 3
	DefaultRollbackLimit    = 3
	DefaultSize             = "small"
	DefaultPodSecurity      = "restricted"
	DefaultPodSecurityFloor = "baseline"
	// MaxNamespacePrefixLength bounds namespace.prefix so that every host namespace name fits
	// in 63 characters (internal/tenant/names.go splits the budget).
	MaxNamespacePrefixLength = 20
	DefaultSecretNamespace   = "crossplane-system" //nolint:gosec // a namespace name, not a credential
	DefaultRetentionPolicy   = "Retain"
	// UsageProtection is the Usage API of Crossplane 2, UsageAPIExtensions the one of 1.x.
	UsageProtection    = "protection.crossplane.io/v1beta1"
	UsageAPIExtensions = "apiextensions.crossplane.io/v1beta1"
	// ExposureNone, ExposureIngress and ExposureLoadBalancer are the values of
	// defaults.exposure (and of a claim's spec.exposure.type).
	ExposureNone             = "None"
	ExposureIngress          = "Ingress"
	ExposureLoadBalancer     = "LoadBalancer"
	defaultKubernetesVersion = "1.36"
	defaultKubernetesTag     = "v1.36.0"
	// maxDomainLength leaves room for a tenant ID (at most 40 characters) and a dot in a
	// 253-character host name.
	maxDomainLength = 190
)

// DefaultPublicEgressExcept are the ranges public egress never reaches: private, shared,
// loopback and link-local addresses (the last holds cloud metadata endpoints).
func DefaultPublicEgressExcept() []string {
	return []string{"10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"}
}

// DefaultSizes are the size profiles of an Input that names none. Every quota entry the chart
// sets by default is set here too, so a profile says the whole quota.
func DefaultSizes() map[string]SizeProfile {
	// scale is how many times the small profile's workload quota a profile gets.
	profile := func(reqCPU, reqMem, limCPU, limMem, disk string, replicas int32, scale int64) SizeProfile {
		q := func(n int64, unit string) string { return strconv.FormatInt(n*scale, 10) + unit }
		size := resource.MustParse(disk)
		return SizeProfile{
			ControlPlane: Resources{
				Requests: list("cpu", reqCPU, "memory", reqMem),
				Limits:   list("cpu", limCPU, "memory", limMem),
			},
			Replicas:    replicas,
			Persistence: &Persistence{Size: &size, RetentionPolicy: DefaultRetentionPolicy},
			Quota: list(
				"requests.cpu", q(4, ""), "requests.memory", q(8, "Gi"),
				"limits.cpu", q(8, ""), "limits.memory", q(16, "Gi"),
				"requests.ephemeral-storage", q(20, "Gi"), "limits.ephemeral-storage", q(40, "Gi"),
				"requests.storage", q(50, "Gi"), "count/persistentvolumeclaims", q(10, ""),
				"count/pods", q(50, ""), "count/services", q(20, ""), "count/configmaps", q(100, ""),
				"count/secrets", q(100, ""), "count/endpoints", q(40, ""),
				"services.loadbalancers", "0", "services.nodeports", "0",
			),
			LimitRange: &LimitRange{
				Default:        list("cpu", "500m", "memory", "512Mi", "ephemeral-storage", "4Gi"),
				DefaultRequest: list("cpu", "100m", "memory", "128Mi", "ephemeral-storage", "1Gi"),
				Max:            list("cpu", q(2, ""), "memory", q(4, "Gi")),
			},
		}
	}
	return map[string]SizeProfile{
		"small":  profile("200m", "256Mi", "1", "1Gi", "5Gi", 1, 1),
		"medium": profile("500m", "512Mi", "2", "2Gi", "10Gi", 1, 2),
		// Three replicas: a highly available control plane on etcd.
		"large": profile("1", "1Gi", "4", "4Gi", "20Gi", 3, 4),
	}
}

// Default fills every empty field with its default.
func (in *Input) Default() {
	if in.Targets.Host.KubernetesProviderConfig == "" {
		in.Targets.Host.KubernetesProviderConfig = DefaultProviderConfig
	}
	if in.Targets.Host.HelmProviderConfig == "" {
		in.Targets.Host.HelmProviderConfig = DefaultProviderConfig
	}
	if in.Namespace.Prefix == "" {
		in.Namespace.Prefix = DefaultNamespacePrefix
	}
	c := &in.VCluster.Chart
	if c.Repository == "" {
		c.Repository = DefaultChartRepository
	}
	if c.Name == "" {
		c.Name = DefaultChartName
	}
	if c.Version == "" {
		c.Version = DefaultChartVersion
	}
	if in.VCluster.MaxHistory == 0 {
		in.VCluster.MaxHistory = DefaultMaxHistory
	}
	if in.VCluster.RollbackLimit == 0 {
		in.VCluster.RollbackLimit = DefaultRollbackLimit
	}
	if len(in.VCluster.KubernetesVersions) == 0 {
		in.VCluster.KubernetesVersions = []KubernetesVersion{{Version: defaultKubernetesVersion, ImageTag: defaultKubernetesTag}}
	}
	if len(in.Sizes) == 0 {
		in.Sizes = DefaultSizes()
	}
	for name, p := range in.Sizes {
		if p.Replicas == 0 {
			p.Replicas = 1
		}
		if p.Persistence == nil {
			p.Persistence = &Persistence{}
		}
		if p.Persistence.RetentionPolicy == "" {
			p.Persistence.RetentionPolicy = DefaultRetentionPolicy
		}
		in.Sizes[name] = p
	}
	if in.Targets.Tenant.Endpoint == "" {
		in.Targets.Tenant.Endpoint = TenantEndpointInternal
	}
	if in.Defaults.Exposure == "" {
		in.Defaults.Exposure = ExposureNone
	}
	if in.Policy.Network.PublicEgressExcept == nil {
		in.Policy.Network.PublicEgressExcept = DefaultPublicEgressExcept()
	}
	if in.Exposure.Ingress != nil && in.Exposure.Ingress.Controller == "" {
		in.Exposure.Ingress.Controller = IngressNginx
	}
	if in.Kubeconfig.SecretNamespace == "" {
		in.Kubeconfig.SecretNamespace = DefaultSecretNamespace
	}
	if in.Usages.APIVersion == "" {
		in.Usages.APIVersion = UsageProtection
	}
	if in.Defaults.KubernetesVersion == "" {
		in.Defaults.KubernetesVersion = newestVersion(in.VCluster.KubernetesVersions)
	}
	if in.Defaults.Size == "" {
		in.Defaults.Size = DefaultSize
	}
	if in.Defaults.PodSecurity == "" {
		in.Defaults.PodSecurity = DefaultPodSecurity
	}
	if in.Policy.PodSecurityFloor == "" {
		in.Policy.PodSecurityFloor = DefaultPodSecurityFloor
	}
	in.defaultRancher()
	in.defaultLogging()
	in.defaultMonitoring()
}

// list is a resource list from name, quantity pairs.
func list(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

// Validate reports the first inconsistency of a defaulted Input, naming the field to fix.
func (in *Input) Validate() error {
	if strings.HasPrefix(in.VCluster.Chart.Version, "v") {
		return fmt.Errorf("input vcluster.chart.version %q must not start with \"v\": write the exact chart version, e.g. %q", in.VCluster.Chart.Version, DefaultChartVersion)
	}
	if len(in.Namespace.Prefix) > MaxNamespacePrefixLength {
		return fmt.Errorf("input namespace.prefix %q is longer than %d characters", in.Namespace.Prefix, MaxNamespacePrefixLength)
	}
	if in.VCluster.MaxHistory < 1 {
		return fmt.Errorf("input vcluster.maxHistory must be at least 1, got %d", in.VCluster.MaxHistory)
	}
	if in.VCluster.RollbackLimit < 1 {
		return fmt.Errorf("input vcluster.rollbackLimit must be at least 1, got %d: without it a failed or interrupted Helm operation is never retried", in.VCluster.RollbackLimit)
	}
	for i, v := range in.VCluster.KubernetesVersions {
		if MinorOf(v.Version) < 0 || v.ImageTag == "" {
			return fmt.Errorf("input vcluster.kubernetesVersions[%d] needs a version like \"1.36\" and an imageTag like \"v1.36.0\"", i)
		}
	}
	if _, ok := in.ImageTag(in.Defaults.KubernetesVersion); !ok {
		return fmt.Errorf("input defaults.kubernetesVersion %q is not one of vcluster.kubernetesVersions (%s)", in.Defaults.KubernetesVersion, strings.Join(in.OfferedVersions(), ", "))
	}
	if _, ok := in.Sizes[in.Defaults.Size]; !ok {
		return fmt.Errorf("input defaults.size %q is not one of sizes (%s)", in.Defaults.Size, strings.Join(in.SizeNames(), ", "))
	}
	if PodSecurityRank(in.Defaults.PodSecurity) < 0 || PodSecurityRank(in.Policy.PodSecurityFloor) < 0 {
		return fmt.Errorf("input defaults.podSecurity and policy.podSecurityFloor must be privileged, baseline or restricted")
	}
	if PodSecurityRank(in.Defaults.PodSecurity) < PodSecurityRank(in.Policy.PodSecurityFloor) {
		return fmt.Errorf("input defaults.podSecurity %q is below policy.podSecurityFloor %q", in.Defaults.PodSecurity, in.Policy.PodSecurityFloor)
	}
	for _, name := range in.SizeNames() {
		if err := in.Sizes[name].validate(); err != nil {
			return fmt.Errorf("input sizes.%s: %w", name, err)
		}
		if err := in.Sizes[name].validateOwnFit(in.VCluster.AllowPro); err != nil {
			return fmt.Errorf("input sizes.%s: %w", name, err)
		}
	}
	if err := in.validateExposure(); err != nil {
		return err
	}
	if err := validateCIDRs("policy.network.egressCIDRs", in.Policy.Network.EgressCIDRs); err != nil {
		return err
	}
	if err := validateCIDRs("policy.network.publicEgressExcept", in.Policy.Network.PublicEgressExcept); err != nil {
		return err
	}
	if errs := validation.IsDNS1123Label(in.Kubeconfig.SecretNamespace); len(errs) > 0 {
		return fmt.Errorf("input kubeconfig.secretNamespace %q is not a namespace name: %s", in.Kubeconfig.SecretNamespace, strings.Join(errs, "; "))
	}
	if in.Usages.APIVersion != UsageProtection && in.Usages.APIVersion != UsageAPIExtensions {
		return fmt.Errorf("input usages.apiVersion %q must be %s (Crossplane 2) or %s (Crossplane 1.x)", in.Usages.APIVersion, UsageProtection, UsageAPIExtensions)
	}
	if err := in.validateRancher(); err != nil {
		return err
	}
	if err := in.validateLogging(); err != nil {
		return err
	}
	return in.validateMonitoring()
}

// validate checks one size profile.
func (p SizeProfile) validate() error {
	if p.Replicas < 1 || p.Replicas > 7 {
		return fmt.Errorf("replicas must be between 1 and 7, got %d", p.Replicas)
	}
	if r := p.Persistence.RetentionPolicy; r != "Retain" && r != "Delete" {
		return fmt.Errorf("persistence.retentionPolicy must be Retain or Delete, got %q", r)
	}
	return nil
}

// validateExposure checks that every way of exposure that is offered is complete, and that the
// defaults and the tenant target only use offered ones.
func (in *Input) validateExposure() error {
	if ing := in.Exposure.Ingress; ing != nil {
		if err := validateDomain("exposure.ingress.domain", ing.Domain); err != nil {
			return err
		}
		switch ing.Controller {
		case IngressNginx, IngressHAProxyTech, IngressHAProxyIngress, IngressOther:
		default:
			return fmt.Errorf("input exposure.ingress.controller %q must be one of ingress-nginx, haproxy, haproxy-ingress, other", ing.Controller)
		}
	}
	if lb := in.Exposure.LoadBalancer; lb != nil {
		if err := validateDomain("exposure.loadBalancer.domain", lb.Domain); err != nil {
			return err
		}
	}
	if !slices.Contains(in.ExposureTypes(), in.Defaults.Exposure) {
		return fmt.Errorf("input defaults.exposure %q is not offered: offered are %s (configure exposure.ingress or exposure.loadBalancer to offer more)", in.Defaults.Exposure, strings.Join(in.ExposureTypes(), ", "))
	}
	switch in.Targets.Tenant.Endpoint {
	case TenantEndpointInternal:
	case TenantEndpointExternal:
		if in.Defaults.Exposure == ExposureNone {
			return errors.New("input targets.tenant.endpoint External needs every tenant exposed: set defaults.exposure to Ingress or LoadBalancer")
		}
	default:
		return fmt.Errorf("input targets.tenant.endpoint %q must be Internal or External", in.Targets.Tenant.Endpoint)
	}
	return nil
}

// ExposureTypes lists the ways of exposure the platform offers: None always, Ingress and
// LoadBalancer when configured.
func (in *Input) ExposureTypes() []string {
	out := []string{ExposureNone}
	if in.Exposure.Ingress != nil {
		out = append(out, ExposureIngress)
	}
	if in.Exposure.LoadBalancer != nil {
		out = append(out, ExposureLoadBalancer)
	}
	return out
}

func validateDomain(field, domain string) error {
	if domain == "" {
		return fmt.Errorf("input %s is required: tenants' host names are made under it", field)
	}
	if errs := validation.IsDNS1123Subdomain(domain); len(errs) > 0 || len(domain) > maxDomainLength {
		return fmt.Errorf("input %s %q must be a DNS name of at most %d characters", field, domain, maxDomainLength)
	}
	return nil
}

func validateCIDRs(field string, cidrs []string) error {
	for i, c := range cidrs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return fmt.Errorf("input %s[%d] %q is not a CIDR: %w", field, i, c, err)
		}
	}
	return nil
}

// ImageTag returns the distro image tag offered for a Kubernetes minor version.
func (in *Input) ImageTag(version string) (string, bool) {
	for _, v := range in.VCluster.KubernetesVersions {
		if v.Version == version {
			return v.ImageTag, true
		}
	}
	return "", false
}

// OfferedVersions lists the offered Kubernetes versions, oldest first.
func (in *Input) OfferedVersions() []string {
	out := make([]string, 0, len(in.VCluster.KubernetesVersions))
	for _, v := range in.VCluster.KubernetesVersions {
		out = append(out, v.Version)
	}
	slices.SortFunc(out, func(a, b string) int { return MinorOf(a) - MinorOf(b) })
	return out
}

// SizeNames lists the offered size profiles in order.
func (in *Input) SizeNames() []string {
	out := make([]string, 0, len(in.Sizes))
	for name := range in.Sizes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// MinorOf returns the minor number of a "1.<minor>" version, or -1 if it is not one.
func MinorOf(version string) int {
	rest, ok := strings.CutPrefix(version, "1.")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// PodSecurityRank orders the Pod Security Standards (privileged < baseline < restricted); -1
// means the name is not one of them.
func PodSecurityRank(level string) int {
	return slices.Index([]string{"privileged", "baseline", "restricted"}, level)
}

func newestVersion(versions []KubernetesVersion) string {
	newest := ""
	for _, v := range versions {
		if MinorOf(v.Version) > MinorOf(newest) {
			newest = v.Version
		}
	}
	return newest
}
