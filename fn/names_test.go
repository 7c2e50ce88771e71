package fn

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// TestLongTenantNamesFit renders tenants whose claim name and namespace are as long as Kubernetes
// allows, under the longest namespace prefix, exposed, as a claim and as a namespaced XR, and
// checks that every name in the response (composed resources, the objects they manage, Usage
// references, Secrets, ProviderConfigs) is a DNS label of at most 63 characters, and that the
// response is the same on every run.
func TestLongTenantNamesFit(t *testing.T) {
	claimName := strings.Repeat("n", 60)
	claimNamespace := strings.Repeat("s", 63)
	input := st(t, `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
namespace: {prefix: `+strings.Repeat("p", inputv1beta1.MaxNamespacePrefixLength-1)+`-}
exposure: {ingress: {domain: tenants.example.com}}
defaults: {exposure: Ingress}
`)
	xrs := map[string]string{
		"Claim": `
apiVersion: platform.tenantcluster.io/v1alpha1
kind: XTenantCluster
metadata:
  name: ` + claimName + `-x7k2p
  labels: {crossplane.io/claim-name: ` + claimName + `, crossplane.io/claim-namespace: ` + claimNamespace + `}
spec: {}
`,
		"Namespaced": `
apiVersion: namespaced.platform.tenantcluster.io/v1alpha1
kind: TenantCluster
metadata: {name: ` + claimName + `, namespace: ` + claimNamespace + `}
spec: {}
`,
	}
	for name, xr := range xrs {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Input: input, Observed: &fnv1.State{Composite: res(t, xr)}}
			f := NewFunction(logging.NewNopLogger())
			first, err := f.RunFunction(context.Background(), req)
			if err != nil || len(first.GetResults()) > 0 {
				t.Fatalf("RunFunction: %v %v", err, first.GetResults())
			}
			for range 3 {
				again, _ := f.RunFunction(context.Background(), req)
				if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
					t.Fatalf("the response changed between runs: -first, +again:\n%s", diff)
				}
			}
			names := namesIn(first.GetDesired().GetComposite().GetResource().AsMap(), "xr")
			for rn, r := range first.GetDesired().GetResources() {
				names = append(names, namesIn(r.GetResource().AsMap(), rn)...)
			}
			if len(names) < 20 {
				t.Fatalf("found only %d names, the walk is broken: %v", len(names), names)
			}
			for _, n := range names {
				if len(n.value) > tenant.MaxLabelLength || !dns1123Label.MatchString(n.value) {
					t.Errorf("%s %q is not a DNS label of at most %d characters (%d)", n.where, n.value, tenant.MaxLabelLength, len(n.value))
				}
			}
		})
	}
}

type foundName struct{ where, value string }

// namesIn collects every value of a "name", "namespace" or "release" field and every label
// value in a manifest, recursively, and the first label of every host name.
func namesIn(v any, where string) []foundName {
	var out []foundName
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			w := where + "." + k
			s, isString := child.(string)
			switch {
			case isString && (k == "name" || k == "namespace" || k == "release" || k == "providerConfig"):
				out = append(out, foundName{w, s})
			case isString && k == "host":
				out = append(out, foundName{w, strings.SplitN(s, ".", 2)[0]})
			case k == "labels":
				for lk, lv := range child.(map[string]any) {
					if s, ok := lv.(string); ok && s != "" && s != "true" {
						out = append(out, foundName{w + "." + lk, s})
					}
				}
			default:
				out = append(out, namesIn(child, w)...)
			}
		}
	case []any:
		for i, child := range x {
			out = append(out, namesIn(child, fmt.Sprintf("%s[%d]", where, i))...)
		}
	}
	return out
}
