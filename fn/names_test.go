package fn

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func TestTenantID(t *testing.T) {
	cases := map[string]struct {
		reason        string
		readable, key string
		want          string
	}{
		"Short": {
			reason:   "A short name keeps its readable part and gets the hash of its identity.",
			readable: "team-a-dev", key: "team-a/dev",
			want: "team-a-dev-c553f163",
		},
		"AmbiguousDashes": {
			reason:   "Claim b-c in namespace a and claim c in namespace a-b read the same but are different tenants: the hash tells them apart.",
			readable: "a-b-c", key: "a-b/c",
			want: "a-b-c-" + shortHash("a-b/c"),
		},
		"Long": {
			reason:   "A long name is cut to fit, without a trailing dash, before the hash.",
			readable: strings.Repeat("a", 30) + "-" + strings.Repeat("b", 30), key: "x/y",
			want: strings.Repeat("a", 30) + "-" + shortHash("x/y"),
		},
		"NothingReadable": {
			reason:   "A name with no DNS characters still yields a valid label.",
			readable: "___", key: "n/___",
			want: "t" + shortHash("n/___"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tenantID(tc.readable, tc.key)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ntenantID(%q, %q): -want, +got:\n%s", tc.reason, tc.readable, tc.key, diff)
			}
			if len(got) > maxIDLength || !dns1123Label.MatchString(got) {
				t.Errorf("%s\ntenantID(...) = %q: not a DNS label of at most %d characters", tc.reason, got, maxIDLength)
			}
		})
	}
	if tenantID("a-b-c", "a/b-c") == tenantID("a-b-c", "a-b/c") {
		t.Errorf("tenants a/b-c and a-b/c share an ID")
	}
}

func TestDNSLabel(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"AlreadyALabel": {reason: "A valid short label is kept as it is.", in: "payments", want: "payments"},
		"Subdomain":     {reason: "Dots are not allowed in a label: cleaned, with a hash so that a.b and a-b stay apart.", in: "a.b", want: "a-b-" + shortHash("a.b")},
		"TooLong": {
			reason: "A name longer than the limit is cut and hashed.",
			in:     strings.Repeat("x", 60),
			want:   strings.Repeat("x", 31) + "-" + shortHash(strings.Repeat("x", 60)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, dnsLabel(tc.in, maxIDLength)); diff != "" {
				t.Errorf("%s\ndnsLabel(%q): -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

// TestLongTenantNamesFit renders a tenant whose claim name and namespace are as long as
// Kubernetes allows and checks that every name the function composes is a DNS label of at most 63
// characters, the same on every run.
func TestLongTenantNamesFit(t *testing.T) {
	in := &inputv1beta1.Input{}
	in.Default()
	in.Namespace.Prefix = strings.Repeat("p", maxPrefixLength-1) + "-"
	claimName := strings.Repeat("n", 60)
	claimNamespace := strings.Repeat("s", 63)
	xr := legacyXRObject(claimName, claimNamespace)

	first, err := newTenant(xr, in)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := newTenant(legacyXRObject(claimName, claimNamespace), in)
		if err != nil {
			t.Fatal(err)
		}
		if again.id != first.id || again.hostNamespace != first.hostNamespace || again.releaseName != first.releaseName {
			t.Fatalf("names changed between runs: %+v vs %+v", again, first)
		}
	}
	names := map[string]string{
		"host namespace": first.hostNamespace,
		"release":        first.releaseName,
		"namespace MR":   first.composedName("namespace"),
		"vcluster MR":    first.composedName("vcluster"),
		"tenant label":   first.id,
	}
	for what, n := range names {
		if len(n) > maxLabelLength || !dns1123Label.MatchString(n) {
			t.Errorf("%s %q is not a DNS label of at most %d characters (%d)", what, n, maxLabelLength, len(n))
		}
	}
}
