package tenant

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
			want: "a-b-c-" + ShortHash("a-b/c"),
		},
		"Long": {
			reason:   "A long name is cut to fit, without a trailing dash, before the hash.",
			readable: strings.Repeat("a", 30) + "-" + strings.Repeat("b", 30), key: "x/y",
			want: strings.Repeat("a", 30) + "-" + ShortHash("x/y"),
		},
		"NothingReadable": {
			reason:   "A name with no DNS characters still yields a valid label.",
			readable: "___", key: "n/___",
			want: "t" + ShortHash("n/___"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tenantID(tc.readable, tc.key)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ntenantID(%q, %q): -want, +got:\n%s", tc.reason, tc.readable, tc.key, diff)
			}
			if len(got) > MaxIDLength || !dns1123Label.MatchString(got) {
				t.Errorf("%s\ntenantID(...) = %q: not a DNS label of at most %d characters", tc.reason, got, MaxIDLength)
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
		"Subdomain":     {reason: "Dots are not allowed in a label: cleaned, with a hash so that a.b and a-b stay apart.", in: "a.b", want: "a-b-" + ShortHash("a.b")},
		"TooLong": {
			reason: "A name longer than the limit is cut and hashed.",
			in:     strings.Repeat("x", 60),
			want:   strings.Repeat("x", 31) + "-" + ShortHash(strings.Repeat("x", 60)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, DNSLabel(tc.in, MaxIDLength)); diff != "" {
				t.Errorf("%s\ndnsLabel(%q): -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}
