package chart

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// passthrough is each ingress controller's TLS passthrough annotation (the chart's defaults are
// ingress-nginx's).
var passthrough = map[string]string{
	"ingress-nginx":   "nginx.ingress.kubernetes.io/ssl-passthrough",
	"haproxy":         "haproxy.org/ssl-passthrough",
	"haproxy-ingress": "haproxy-ingress.github.io/ssl-passthrough",
}

// TestIngressAnnotationsAreTheController: the Ingress the real chart renders carries the
// platform controller's passthrough annotation and no other controller's: Helm merges values
// over the chart's default ingress-nginx annotations, which must not reach an Ingress of
// another controller.
func TestIngressAnnotationsAreTheController(t *testing.T) {
	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			ingresses := out.all("Ingress")
			if len(ingresses) == 0 {
				return
			}
			controller := "ingress-nginx"
			for _, want := range []string{"haproxy-ingress", "haproxy", "other"} {
				if strings.HasSuffix(tc.name, "/"+want) {
					controller = want
					break
				}
			}
			got := slices.Sorted(maps.Keys(ingresses[0].GetAnnotations()))
			var foreign []string
			for c, key := range passthrough {
				if c != controller && slices.Contains(got, key) {
					foreign = append(foreign, key)
				}
			}
			if len(foreign) > 0 {
				t.Errorf("the Ingress of a %s platform carries another controller's annotations %v (all: %v)", controller, foreign, got)
			}
			if key, ok := passthrough[controller]; ok {
				if diff := cmp.Diff("true", ingresses[0].GetAnnotations()[key]); diff != "" {
					t.Errorf("passthrough annotation %s: -want, +got:\n%s", key, diff)
				}
			}
			for _, k := range got {
				if strings.HasPrefix(k, "nginx.ingress.kubernetes.io/") && controller != "ingress-nginx" {
					t.Errorf("the Ingress of a %s platform carries %s", controller, k)
				}
			}
		})
	}
}
