package v1beta1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
