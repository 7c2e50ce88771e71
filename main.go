// Command function-tenantcluster serves the TenantCluster composition function over gRPC.
package main

import (
	"flag"
	"fmt"
	"os"

	function "github.com/crossplane/function-sdk-go"

	"github.com/tenantcluster/function-tenantcluster/fn"
)

// options are the command-line flags.
type options struct {
	address        string
	tlsCertsDir    string
	insecure       bool
	debug          bool
	metricsAddress string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("function-tenantcluster", flag.ContinueOnError)
	fs.StringVar(&o.address, "address", ":9443", "Address to serve gRPC on.")
	fs.StringVar(&o.tlsCertsDir, "tls-server-certs-dir", os.Getenv("TLS_SERVER_CERTS_DIR"),
		"Directory holding tls.crt, tls.key and ca.crt for mTLS (env TLS_SERVER_CERTS_DIR). Crossplane mounts it.")
	fs.BoolVar(&o.insecure, "insecure", false, "Serve without TLS (local development and `crossplane render` only).")
	fs.BoolVar(&o.debug, "debug", false, "Log debug messages.")
	fs.StringVar(&o.metricsAddress, "metrics-address", ":8080",
		"Address to serve Prometheus metrics on; empty turns metrics off. Give each local process its own.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if !o.insecure && o.tlsCertsDir == "" {
		return o, fmt.Errorf("either --tls-server-certs-dir (or TLS_SERVER_CERTS_DIR) or --insecure is required")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log, err := function.NewLogger(o.debug)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot create logger:", err)
		os.Exit(1)
	}
	log.Info("Starting function-tenantcluster", "address", o.address, "insecure", o.insecure, "metrics", o.metricsAddress)
	err = function.Serve(fn.NewFunction(log),
		function.Listen("tcp", o.address),
		function.MTLSCertificates(o.tlsCertsDir),
		function.Insecure(o.insecure),
		function.WithMetricsServer(o.metricsAddress),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
