package rancher

import (
	"bytes"
	"regexp"
	"testing"
	"text/template"
)

// TestRegistrarTemplatesOnMissingKeys runs the go-templates of the registrar's script the way
// kubectl's go-template output runs them (text/template over the object as decoded JSON): a
// token that is not there must print nothing, never text the script would take for a token.
// Rancher 2.13.8 and later keep no token in the ClusterRegistrationToken's status; the e2e saw
// "<no value>" fetched as a token before the template read it with "with".
func TestRegistrarTemplatesOnMissingKeys(t *testing.T) {
	templates := regexp.MustCompile(`go-template=(\{\{.*?\}\})"`).FindAllStringSubmatch(RegistrarScript, -1)
	var tokenStatus string
	for _, m := range templates {
		if regexp.MustCompile(`\.status`).MatchString(m[1]) {
			tokenStatus = m[1]
		}
	}
	if tokenStatus == "" {
		t.Fatalf("no template reads the ClusterRegistrationToken's status in the script: %v", templates)
	}
	cases := map[string]struct {
		reason string
		object map[string]any
		want   string
	}{
		"NoStatus":      {reason: "A token Rancher has not filled in yet.", object: map[string]any{"kind": "ClusterRegistrationToken"}, want: ""},
		"NoTokenInIt":   {reason: "Rancher 2.13.8 and later: the status has no token.", object: map[string]any{"status": map[string]any{"tokenSecretName": "crt-token-default-token"}}, want: ""},
		"TokenInStatus": {reason: "Rancher before 2.13.8: the token is in the status.", object: map[string]any{"status": map[string]any{"token": "bcdf"}}, want: "bcdf"},
	}
	tmpl, err := template.New("output").Parse(tokenStatus)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := tmpl.Execute(&out, tc.object); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("%s\n%s printed %q, want %q", tc.reason, tokenStatus, out.String(), tc.want)
			}
		})
	}
}
