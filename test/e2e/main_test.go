package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tenantcluster/function-tenantcluster/test/e2e/controlplane"
)

// cp is the control plane every scenario runs against; each scenario uses its own claim
// namespaces, so scenarios do not see each other's tenants.
var cp *controlplane.ControlPlane

// runCtx ends on Ctrl-C or SIGTERM, so every wait returns and the control plane is stopped.
var runCtx context.Context

var keep = flag.Bool("keep", false, "keep the control plane's folder (logs, kubeconfigs) after a passing run")

// TestMain starts one control plane for the whole run and stops it however the run ends: a
// failing test, a panic, or Ctrl-C.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	shared := os.Getenv("TENANTCLUSTER_SHARED")
	if shared == "" {
		shared = filepath.Join(repo, "..", "shared")
	}
	dir, err := os.MkdirTemp("", "tenantcluster-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runCtx = ctx
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s e2e: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	cp, err = controlplane.Start(ctx, controlplane.Options{
		Repo: repo, Shared: shared, Bins: controlplane.BinariesIn(filepath.Join(repo, "bin")), Dir: dir,
		Packages: controlplane.PackagesIn(filepath.Join(repo, "bin")), Version: controlplane.Versions[0], Logf: logf,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "control plane did not start: %v\nlogs: %s/logs\n", err, dir)
		return 1
	}
	fmt.Fprintf(os.Stderr, "control plane up in %s; kubeconfig %s/host.kubeconfig\n", cp.StartedIn.Round(time.Millisecond), dir)
	code := m.Run()
	cp.Stop()
	if code != 0 || *keep {
		fmt.Fprintf(os.Stderr, "control plane logs kept in %s/logs\n", dir)
		return code
	}
	_ = os.RemoveAll(dir)
	return code
}
