package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlags(t *testing.T) {
	cases := map[string]struct {
		reason  string
		args    []string
		env     string
		want    options
		wantErr bool
	}{
		"Insecure": {
			reason: "Local development serves without TLS on the given addresses.",
			args:   []string{"--insecure", "--address=127.0.0.1:9999", "--metrics-address=127.0.0.1:0", "--debug"},
			want:   options{address: "127.0.0.1:9999", insecure: true, debug: true, metricsAddress: "127.0.0.1:0"},
		},
		"CertsFromEnv": {
			reason: "Crossplane passes the certificate directory in TLS_SERVER_CERTS_DIR.",
			env:    "/tls/server",
			want:   options{address: ":9443", tlsCertsDir: "/tls/server", metricsAddress: ":8080"},
		},
		"MetricsOff": {
			reason: "An empty metrics address turns the metrics server off, so two local processes never fight over :8080.",
			args:   []string{"--insecure", "--metrics-address="},
			want:   options{address: ":9443", insecure: true},
		},
		"NeitherTLSNorInsecure": {
			reason:  "Serving without certificates must be asked for explicitly.",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TLS_SERVER_CERTS_DIR", tc.env)
			got, err := parseFlags(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nparseFlags(%v): error %v, want error %v", tc.reason, tc.args, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(options{})); diff != "" {
				t.Errorf("%s\nparseFlags(%v): -want, +got:\n%s", tc.reason, tc.args, diff)
			}
		})
	}
}
