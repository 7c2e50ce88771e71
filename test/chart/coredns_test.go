package chart

import (
	"bytes"
	"strings"
	"testing"
	_ "unsafe" // go:linkname: vcluster renders CoreDNS's manifest with unexported functions

	vconfig "github.com/loft-sh/vcluster/config"
	_ "github.com/loft-sh/vcluster/pkg/coredns" // linked for its manifest rendering
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/version"
	"sigs.k8s.io/yaml"
)

// vcluster v0.36.1's own rendering of the CoreDNS manifest its syncer applies inside the virtual
// cluster (pkg/coredns/coredns.go), called rather than restated.
//
//go:linkname coreDNSVariables github.com/loft-sh/vcluster/pkg/coredns.getManifestVariables
func coreDNSVariables(defaultImageRegistry string, serverVersion *version.Info) map[string]any

//go:linkname coreDNSManifests github.com/loft-sh/vcluster/pkg/coredns.processManifests
func coreDNSManifests(vars map[string]any, config *vconfig.Config) ([]byte, error)

// coreDNSDeployment renders CoreDNS's Deployment the way the syncer does for this configuration.
func coreDNSDeployment(t *testing.T, config []byte) *appsv1.Deployment {
	t.Helper()
	cfg := &vconfig.Config{}
	if err := vconfig.UnmarshalYAMLStrict(config, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := coreDNSManifests(coreDNSVariables("", &version.Info{Major: "1", Minor: "36"}), cfg)
	if err != nil {
		t.Fatalf("vcluster cannot render CoreDNS: %v", err)
	}
	for _, doc := range bytes.Split(out, []byte("\n---")) {
		if !strings.Contains(string(doc), "kind: Deployment") {
			continue
		}
		d := &appsv1.Deployment{}
		if err := yaml.Unmarshal(doc, d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatalf("vcluster renders no CoreDNS Deployment:\n%s", out)
	return nil
}

// TestCoreDNSMeetsRestrictedAndKeepsItsHardening renders CoreDNS as the syncer does for every
// tenant: it runs as a synced pod in the tenant's host namespace, so it must meet restricted;
// and the function's security context, which replaces vcluster's default whole, must keep what
// the default hardens (a read-only root file system, no privilege escalation, non-root).
func TestCoreDNSMeetsRestrictedAndKeepsItsHardening(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			d := coreDNSDeployment(t, render(t, compose(t, tc)).config)
			if refused := refusals(t, "restricted", d.Spec.Template); len(refused) > 0 {
				t.Errorf("CoreDNS fails Pod Security restricted:\n  %s", strings.Join(refused, "\n  "))
			}
			for _, c := range d.Spec.Template.Spec.Containers {
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("container %s has no security context", c.Name)
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("container %s lost vcluster's read-only root file system", c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("container %s may escalate privileges", c.Name)
				}
			}
		})
	}
}
