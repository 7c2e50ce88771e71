package chart

import (
	"testing"

	vconfig "github.com/loft-sh/vcluster/config"
)

// TestNoProFeature reads the vcluster configuration each tenant's syncer would read (the chart's
// merged values, from the vc-config Secret it renders) with vcluster's own config package and
// asks vcluster's own Pro check: without vcluster.allowPro in the input, no tenant may need a
// vCluster Pro license. That list is longer than the schema's "pro" markers (sleep, snapshots,
// deletion, namespace and custom-resource sync, ...).
func TestNoProFeature(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, compose(t, tc))
			cfg := &vconfig.Config{}
			if err := vconfig.UnmarshalYAMLStrict(out.config, cfg); err != nil {
				t.Fatalf("vcluster cannot read the configuration the chart writes: %v", err)
			}
			if cfg.IsProFeatureEnabled() {
				t.Error("vcluster's own check says this configuration needs a vCluster Pro license")
			}
		})
	}
}

// TestProCheckCanFail shows the check above can fail: a highly available tenant on a platform
// that allows Pro gets embedded etcd, which is Pro.
func TestProCheckCanFail(t *testing.T) {
	tc := tenant{name: "large-allowPro", claim: "minimal.yaml", spec: map[string]any{"size": "large"}, input: func(in map[string]any) {
		in["vcluster"].(map[string]any)["allowPro"] = true
	}}
	out := render(t, compose(t, tc))
	cfg := &vconfig.Config{}
	if err := vconfig.UnmarshalYAMLStrict(out.config, cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.IsProFeatureEnabled() {
		t.Error("embedded etcd is a Pro feature, but vcluster's check does not say so: the check proves nothing")
	}
}
