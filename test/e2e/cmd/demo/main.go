// Command demo starts the local control plane, creates a tenant from an example claim and shows
// it become ready layer by layer, then waits for Ctrl-C and stops everything. `make demo`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

var gvkClaim = schema.GroupVersionKind{Group: "platform.tenantcluster.io", Version: "v1alpha1", Kind: "TenantCluster"}

func main() {
	repo := flag.String("repo", ".", "the project's root")
	shared := flag.String("shared", "../shared", "the shared folder (upstream CRDs)")
	claimPath := flag.String("claim", "examples/claims/full.yaml", "the claim to create, relative to -repo")
	flag.Parse()
	if err := run(*repo, *shared, *claimPath); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(repo, shared, claimPath string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	claim, err := readClaim(filepath.Join(repo, claimPath))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tenantcluster-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	say := func(format string, args ...any) {
		fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	say("starting the control plane in %s (logs in %s/logs)", dir, dir)
	cp, err := controlplane.Start(ctx, controlplane.Options{
		Repo: repo, Shared: shared, Bins: controlplane.BinariesIn(filepath.Join(repo, "bin")), Dir: dir,
		Packages: controlplane.PackagesIn(filepath.Join(repo, "bin")), Version: controlplane.Versions[0], Logf: say,
	})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the control plane")
		cp.Stop()
	}()

	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": claim.GetNamespace()}}}
	if err := cp.Host.ApplyObject(ctx, ns); err != nil {
		return err
	}
	// The team's own Secrets its log outputs name, with made-up values, as the team would have
	// them before it applies the claim.
	for _, secret := range teamSecrets(claim) {
		if err := cp.Host.ApplyObject(ctx, secret); err != nil {
			return err
		}
		say("created Secret %s/%s, which the claim names for its logs or alerts", secret.GetNamespace(), secret.GetName())
	}
	if err := cp.Host.ApplyObject(ctx, claim); err != nil {
		return err
	}
	applied := time.Now()
	say("applied %s (%s/%s); watching it compose:", claimPath, claim.GetNamespace(), claim.GetName())
	last, ready := "", false
	for {
		if err := cp.Crashed(); err != nil {
			return err
		}
		tree, err := cp.Host.Tree(ctx, gvkClaim, claim.GetNamespace(), claim.GetName())
		if err == nil && tree != last {
			fmt.Printf("\n── after %s ──\n%s", time.Since(applied).Round(100*time.Millisecond), tree)
			last = tree
		}
		if !ready {
			if c, found, _ := cp.Host.Get(ctx, gvkClaim, claim.GetNamespace(), claim.GetName()); found && controlplane.Condition(c, "Ready").Status == "True" {
				ready = true
				lookAround(dir, repo, claim, time.Since(applied))
			}
		}
		select {
		case <-ctx.Done():
			fmt.Println()
			return nil
		case <-time.After(time.Second):
		}
	}
}

// teamSecrets are the Secrets the claim's log outputs, alert receivers and Grafana name (every
// {name, key} reference under spec.logging and spec.monitoring), each key holding a made-up value.
func teamSecrets(claim *unstructured.Unstructured) []*unstructured.Unstructured {
	logging, _, _ := unstructured.NestedFieldNoCopy(claim.Object, "spec", "logging")
	monitoring, _, _ := unstructured.NestedFieldNoCopy(claim.Object, "spec", "monitoring")
	data := map[string]map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			name, okName := v["name"].(string)
			key, okKey := v["key"].(string)
			if okName && okKey && len(v) == 2 {
				if data[name] == nil {
					data[name] = map[string]any{}
				}
				data[name][key] = "demo-" + key
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(logging)
	walk(monitoring)
	names := make([]string, 0, len(data))
	for n := range data {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*unstructured.Unstructured, 0, len(names))
	for _, n := range names {
		out = append(out, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": n, "namespace": claim.GetNamespace()},
			"stringData": data[n],
		}})
	}
	return out
}

func lookAround(dir, repo string, claim *unstructured.Unstructured, took time.Duration) {
	kubectl := filepath.Join(repo, "bin", "e2e", "kubectl")
	secret, _, _ := unstructured.NestedString(claim.Object, "spec", "writeConnectionSecretToRef", "name")
	fmt.Printf(`
The tenant is ready, %s after the apply. Look around from another terminal:

  export KUBECONFIG=%s/host.kubeconfig
  %s get tenantcluster -A                  # the claim, as its team sees it
  %s get managed                           # everything it composed
  %s get tenantcluster -n %s %s -o yaml    # conditions: VClusterReady, RancherRegistered, LoggingReady, MonitoringReady
  %s get configurations,functions,providers.pkg.crossplane.io   # the packages Crossplane installed
`, took.Round(100*time.Millisecond), dir, kubectl, kubectl, kubectl, claim.GetNamespace(), claim.GetName(), kubectl)
	if _, on, _ := unstructured.NestedSlice(claim.Object, "spec", "logging", "outputs"); on {
		fmt.Printf(`
  # its logging on the host: the aggregator's Logging, the Flow, the Outputs, and the
  # credentials the copier brought from the claim's namespace (keys only):
  %s get loggings,flows,outputs -A
  %s get secret -A --field-selector metadata.name=tenant-log-credentials \
    -o go-template='{{range .items}}{{.metadata.namespace}}/{{.metadata.name}}:{{range $k, $v := .data}} {{$k}}{{end}}{{"\n"}}{{end}}'
`, kubectl, kubectl)
	}
	if _, on, _ := unstructured.NestedMap(claim.Object, "spec", "monitoring"); on {
		fmt.Printf(`
  # its monitoring on the host: what Helm installed from kube-prometheus-stack (the Prometheus
  # and Alertmanager the cluster's operator would run, Grafana), the tenant's alert routes and
  # rules, and the credentials the copier brought (keys only):
  %s get releases.helm.crossplane.io,prometheuses,alertmanagers,alertmanagerconfigs,prometheusrules,deployments -A
  %s get secret -A --field-selector metadata.name=tenant-monitoring-credentials \
    -o go-template='{{range .items}}{{.metadata.namespace}}/{{.metadata.name}}:{{range $k, $v := .data}} {{$k}}{{end}}{{"\n"}}{{end}}'
`, kubectl, kubectl)
	}
	if secret != "" {
		fmt.Printf(`
  # the tenant's own cluster (a kube-apiserver standing in for the vcluster):
  %s get secret -n %s %s -o jsonpath='{.data.kubeconfig}' | base64 -d > %s/tenant.kubeconfig
  %s --kubeconfig %s/tenant.kubeconfig get jobs,namespaces -A
`, kubectl, claim.GetNamespace(), secret, dir, kubectl, dir)
	}
	fmt.Printf(`
  logs of every component: %s/logs/
Ctrl-C stops everything and removes %s.
`, dir, dir)
}

func readClaim(path string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the claim the user named
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}
