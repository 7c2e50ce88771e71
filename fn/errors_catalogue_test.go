package fn

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	logginglayer "github.com/tenantcluster/function-tenantcluster/internal/layers/logging"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/layers/vcluster"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// minimumInput is a platform whose one size sets a per-container minimum.
const minimumInput = `
apiVersion: tenantcluster.fn.crossplane.io/v1beta1
kind: Input
defaults: {size: tiny}
sizes:
  tiny:
    controlPlane: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 512Mi}}
    limitRange:
      default: {memory: 256Mi}
      defaultRequest: {memory: 64Mi}
      min: {memory: 16Mi}
`

// catalogueOnlyCases are refusals TestRefusals does not hold, one for every other place the
// function refuses a claim, so that TestErrorCatalogue sees every message the function can give.
func catalogueOnlyCases() map[string]refusalCase {
	return map[string]refusalCase{
		"VersionNotOffered":            {reason: "A version the platform does not offer.", xr: tenanttest.ClaimXR(`spec: {kubernetesVersion: "1.30"}`)},
		"SizeNotOffered":               {reason: "A size the platform does not offer.", xr: tenanttest.ClaimXR(`spec: {size: huge}`)},
		"PodSecurityNotAStandard":      {reason: "A level that is not a Pod Security Standard (a v2 XR without the claim's enum).", xr: tenanttest.ClaimXR(`spec: {isolation: {podSecurity: strict}}`)},
		"PodSecurityBelowFloor":        {reason: "A level looser than the platform's floor.", xr: tenanttest.ClaimXR(`spec: {isolation: {podSecurity: privileged}}`)},
		"QuotaNegative":                {reason: "A negative quota.", input: boundedInput, xr: tenanttest.ClaimXR(`spec: {resources: {quota: {requests.cpu: "-1"}}}`)},
		"ContainerDefaultBelowMinimum": {reason: "A container default below the profile's minimum.", input: minimumInput, xr: tenanttest.ClaimXR(`spec: {resources: {containerDefaults: {requests: {memory: 1Ki}}}}`)},
		"ContainerDefaultNotPositive":  {reason: "A container default of zero.", xr: tenanttest.ClaimXR(`spec: {resources: {containerDefaults: {limits: {ephemeral-storage: "0"}}}}`)},
		"EgressNotACIDR":               {reason: "An egress range that is not a CIDR (a v2 XR without the claim's CEL rule).", input: boundedInput, xr: tenanttest.ClaimXR(`spec: {isolation: {network: {egressCIDRs: ["10.20.0.0/33"]}}}`)},
	}
}

// TestErrorCatalogue checks docs/errors.md against the function: every message the function
// refuses a claim with matches one entry of the catalogue, and every entry is one the function
// gives. An entry is a heading "### `<message>`" in which <words in angle brackets> stand for the
// values of the case at hand.
func TestErrorCatalogue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "errors.md"))
	if err != nil {
		t.Fatal(err)
	}
	entries := catalogueEntries(string(doc))
	if len(entries) == 0 {
		t.Fatal("docs/errors.md has no entries")
	}
	used := map[string]bool{}
	cases := refusalCases()
	for name, tc := range catalogueOnlyCases() {
		cases[name] = tc
	}
	for name, tc := range cases {
		msg := fatalMessage(tc.run(t))
		if msg == "" {
			t.Errorf("%s: %s\nno Fatal result", name, tc.reason)
			continue
		}
		matched := false
		for template, re := range entries {
			if re.MatchString(msg) {
				matched, used[template] = true, true
			}
		}
		if !matched {
			t.Errorf("%s: docs/errors.md has no entry for the message\n%s", name, msg)
		}
	}
	var unused []string
	for template := range entries {
		if !used[template] {
			unused = append(unused, template)
		}
	}
	sort.Strings(unused)
	for _, u := range unused {
		t.Errorf("docs/errors.md explains a message no refusal gives: %s", u)
	}
}

var (
	catalogueHeading = regexp.MustCompile("(?m)^### `(.+)`$")
	placeholder      = regexp.MustCompile(`<[a-z][a-z ,.'/-]*>`)
)

// catalogueEntries maps each entry's template to the expression matching its messages.
func catalogueEntries(doc string) map[string]*regexp.Regexp {
	out := map[string]*regexp.Regexp{}
	for _, m := range catalogueHeading.FindAllStringSubmatch(doc, -1) {
		template := m[1]
		parts := placeholder.Split(template, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		out[template] = regexp.MustCompile("^" + strings.Join(parts, ".+") + "$")
	}
	return out
}

func fatalMessage(rsp *fnv1.RunFunctionResponse) string {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage()
		}
	}
	return ""
}

// TestCatalogueNamesTheReasons: the reasons docs/errors.md lists for VClusterReady and
// RancherRegistered are exactly those the function gives when a layer waits or fails (it once
// listed a reason nothing emitted).
func TestCatalogueNamesTheReasons(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "errors.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "listed with their reasons")
	if start < 0 {
		t.Fatal("docs/errors.md no longer lists the conditions' reasons")
	}
	paragraph := text[start:]
	if end := strings.Index(paragraph, "\n\n"); end >= 0 {
		paragraph = paragraph[:end]
	}
	var got []string
	for _, m := range regexp.MustCompile("`([A-Z][A-Za-z]+)`").FindAllStringSubmatch(paragraph, -1) {
		if m[1] != "VClusterReady" && m[1] != "RancherRegistered" && m[1] != "LoggingReady" {
			got = append(got, m[1])
		}
	}
	want := []string{
		vcluster.ReasonReleasePending, vcluster.ReasonKubeconfigPending, vcluster.ReasonReleaseFailed,
		rancher.ReasonClusterPending, rancher.ReasonAgentPending, rancher.ReasonAgentInstallFailed, rancher.ReasonDisconnected,
		logginglayer.ReasonPending, logginglayer.ReasonProblems, logginglayer.ReasonOff,
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("docs/errors.md lists the reasons %v; the function gives %v", got, want)
	}
}
