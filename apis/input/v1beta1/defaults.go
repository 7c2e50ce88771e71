package v1beta1

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
	DefaultSize             = "small"
	DefaultPodSecurity      = "restricted"
	DefaultPodSecurityFloor = "baseline"
	// MaxNamespacePrefixLength bounds namespace.prefix so that every host namespace name fits
	// in 63 characters (fn/names.go splits the budget).
	MaxNamespacePrefixLength = 20
	defaultKubernetesVersion = "1.36"
	defaultKubernetesTag     = "v1.36.0"
)

// DefaultSizes are the size profiles of an Input that names none.
func DefaultSizes() map[string]SizeProfile {
	profile := func(reqCPU, reqMem, limCPU, limMem string) SizeProfile {
		return SizeProfile{ControlPlane: Resources{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(reqCPU),
				corev1.ResourceMemory: resource.MustParse(reqMem),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(limCPU),
				corev1.ResourceMemory: resource.MustParse(limMem),
			},
		}}
	}
	return map[string]SizeProfile{
		"small":  profile("200m", "256Mi", "1", "1Gi"),
		"medium": profile("500m", "512Mi", "2", "2Gi"),
		"large":  profile("1", "1Gi", "4", "4Gi"),
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
	if len(in.VCluster.KubernetesVersions) == 0 {
		in.VCluster.KubernetesVersions = []KubernetesVersion{{Version: defaultKubernetesVersion, ImageTag: defaultKubernetesTag}}
	}
	if len(in.Sizes) == 0 {
		in.Sizes = DefaultSizes()
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
