// Command render is `make render`: it starts the function locally, renders each claim with
// `crossplane render` and prints only the rendered YAML on stdout (everything else goes to
// stderr), then stops the function.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/claim"
)

type config struct {
	function, crossplane string
	claims, observed     string
	composition, xrd     string
	v2Composition, v2XRD string
	functions            string
	fullXR               bool
	embedded             bool
}

func main() {
	var c config
	flag.StringVar(&c.function, "function", "bin/function-tenantcluster", "function binary")
	flag.StringVar(&c.crossplane, "crossplane", "bin/crossplane", "crossplane CLI binary")
	flag.StringVar(&c.claims, "claim", "examples/claims", "claim files or directories of claims, comma-separated")
	flag.StringVar(&c.observed, "observed", "", "observed composed resources: files or directories, comma-separated, later ones adding to and replacing earlier ones")
	flag.StringVar(&c.composition, "composition", "apis/composition.yaml", "Composition for legacy claims")
	flag.StringVar(&c.xrd, "xrd", "apis/definition.yaml", "XRD for legacy claims")
	flag.StringVar(&c.v2Composition, "v2-composition", "examples/v2/composition.yaml", "Composition for namespaced XRs")
	flag.StringVar(&c.v2XRD, "v2-xrd", "examples/v2/definition.yaml", "XRD for namespaced XRs")
	flag.StringVar(&c.functions, "functions", "examples/functions.yaml", "Functions file (runtime Development)")
	flag.BoolVar(&c.fullXR, "include-full-xr", false, "print the XR's spec and metadata too (for validation)")
	flag.BoolVar(&c.embedded, "include-embedded", false, "also print the manifest each provider-kubernetes Object applies, as its own document (for validation against the target's CRDs)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	claims, err := claimFiles(c.claims)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tenantcluster-render-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	observed, err := mergeObserved(c.observed, filepath.Join(tmp, "observed"))
	if err != nil {
		return err
	}

	addr, err := freeAddress()
	if err != nil {
		return err
	}
	fnCmd := exec.CommandContext(ctx, c.function, "--insecure", "--address="+addr, "--metrics-address=") //nolint:gosec // our own binary
	fnCmd.Stdout, fnCmd.Stderr = os.Stderr, os.Stderr
	if err := fnCmd.Start(); err != nil {
		return fmt.Errorf("cannot start the function: %w", err)
	}
	defer func() {
		_ = fnCmd.Process.Kill()
		_ = fnCmd.Wait()
	}()
	if err := waitForListener(ctx, addr, 30*time.Second); err != nil {
		return err
	}

	for i, path := range claims {
		xr, err := claim.ReadXR(path)
		if err != nil {
			return err
		}
		xrFile := filepath.Join(tmp, fmt.Sprintf("xr-%d.yaml", i))
		if err := writeYAML(xrFile, xr); err != nil {
			return err
		}
		comp, xrd := c.composition, c.xrd
		if claim.IsNamespaced(xr) {
			comp, xrd = c.v2Composition, c.v2XRD
		}
		args := []string{"render", xrFile, comp, c.functions,
			"--xrd=" + xrd,
			"--include-function-results",
			"--function-annotations=render.crossplane.io/runtime-development-target=" + addr,
		}
		if c.fullXR {
			args = append(args, "--include-full-xr")
		}
		if observed != "" {
			args = append(args, "--observed-resources="+observed)
		}
		out, err := exec.CommandContext(ctx, c.crossplane, args...).Output() //nolint:gosec // our own tools
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				_, _ = os.Stderr.Write(ee.Stderr)
			}
			return fmt.Errorf("cannot render %s: %w", path, err)
		}
		fmt.Printf("---\n# %s\n%s", path, strings.TrimPrefix(string(out), "---\n"))
		if !strings.HasSuffix(string(out), "\n") {
			fmt.Println()
		}
		if c.embedded {
			if err := printEmbedded(path, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimFiles expands a comma-separated list of claim files and directories into files.
func claimFiles(paths string) ([]string, error) {
	var files []string
	for _, p := range strings.Split(paths, ",") {
		f, err := claimFilesOf(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

// claimFilesOf lists the YAML files of a directory (sorted), or returns the one file named.
func claimFilesOf(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(path, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no claims in %s", path)
	}
	return files, nil
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close() //nolint:errcheck // only probing for a free port
	return l.Addr().String(), nil
}

func waitForListener(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the function did not listen on %s within %s", addr, timeout)
}

func writeYAML(path string, obj map[string]any) error {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// mergeObserved copies a comma-separated list of observed-state files and directories into one
// directory, so that observed states can be layered (examples/observed/rancher/ holds each step
// of the registration as what is new at that step). A later file of the same name replaces an
// earlier one. A single path is passed through unchanged.
func mergeObserved(list, dir string) (string, error) {
	if list == "" || !strings.Contains(list, ",") {
		return list, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	for _, p := range strings.Split(list, ",") {
		files := []string{p}
		if st, err := os.Stat(p); err != nil {
			return "", err
		} else if st.IsDir() {
			if files, err = filepath.Glob(filepath.Join(p, "*.yaml")); err != nil {
				return "", err
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f) //nolint:gosec // the caller's own example files
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
				return "", err
			}
		}
	}
	return dir, nil
}

// printEmbedded prints the manifest every provider-kubernetes Object in a rendered stream
// applies, so that it can be validated against the CRDs of the cluster it lands on.
func printEmbedded(path string, rendered []byte) error {
	for _, doc := range strings.Split(string(rendered), "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				ForProvider struct {
					Manifest map[string]any `json:"manifest"`
				} `json:"forProvider"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return fmt.Errorf("cannot read what %s rendered: %w", path, err)
		}
		if obj.Kind != "Object" || obj.Spec.ForProvider.Manifest == nil {
			continue
		}
		b, err := yaml.Marshal(obj.Spec.ForProvider.Manifest)
		if err != nil {
			return err
		}
		fmt.Printf("---\n# %s: applied by an Object\n%s", path, b)
	}
	return nil
}
