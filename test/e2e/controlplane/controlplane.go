// Package controlplane runs a real Crossplane control plane on loopback, with no containers:
// etcd, kube-apiserver, kube-controller-manager (garbage collection and namespace deletion),
// Crossplane core (with its Usage webhook and package manager), an OCI registry the packages are
// installed from, provider-kubernetes and this function over mTLS, both run as the package
// runtime (runtimeplayer.go). Three parts of the world cannot run here, and the harness plays
// them in the open (players.go): provider-helm installing the vcluster chart, Rancher answering a
// registration, and the pod of the registrar Job (its script runs on this machine).
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Binaries are the programs the control plane runs, built from exact versions by the Makefile
// (`make e2e-bins`) into one folder. The function is not among them: it runs from its package.
type Binaries struct {
	Etcd, APIServer, ControllerManager, Crossplane, ProviderKubernetes, ProviderHelm string
	// Charts is the vcluster chart's repository (index.yaml and charts/), served as
	// https://charts.loft.sh, and MonitoringCharts kube-prometheus-stack's, served as
	// https://prometheus-community.github.io/helm-charts (chartmirror.go).
	Charts, MonitoringCharts string
	// Kubectl is on the registrar's PATH when the registrar player runs its script.
	Kubectl string
	// Crank is the crossplane CLI, which builds and pushes packages.
	Crank string
}

// BinariesIn names the binaries the Makefile builds into dir.
func BinariesIn(dir string) Binaries {
	return Binaries{
		Etcd:               filepath.Join(dir, "e2e", "etcd"),
		APIServer:          filepath.Join(dir, "e2e", "kube-apiserver"),
		ControllerManager:  filepath.Join(dir, "e2e", "kube-controller-manager"),
		Crossplane:         filepath.Join(dir, "e2e", "crossplane"),
		ProviderKubernetes: filepath.Join(dir, "e2e", "provider-kubernetes"),
		ProviderHelm:       filepath.Join(dir, "e2e", "provider-helm"),
		Charts:             filepath.Join(dir, "e2e", "charts"),
		MonitoringCharts:   filepath.Join(dir, "e2e", "monitoring-charts"),
		Kubectl:            filepath.Join(dir, "e2e", "kubectl"),
		Crank:              filepath.Join(dir, "crossplane"),
	}
}

func (b Binaries) check() error {
	var missing []error
	for _, p := range []string{b.Etcd, b.APIServer, b.ControllerManager, b.Crossplane, b.ProviderKubernetes, b.ProviderHelm, b.Kubectl, b.Crank, filepath.Join(b.Charts, "index.yaml"), filepath.Join(b.MonitoringCharts, "index.yaml")} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, fmt.Errorf("%s is missing: run `make e2e-bins`", p))
		}
	}
	return errors.Join(missing...)
}

// Options say where the project and its shared files are and where the control plane keeps its
// state and logs.
type Options struct {
	// Repo is the project's root (apis/, examples/).
	Repo string
	// Shared is ../shared: the upstream CRDs.
	Shared string
	// Packages holds this project's xpkgs, <package>-<version>.xpkg (make e2e-bins builds them).
	Packages string
	// Version is the packages' version the control plane installs.
	Version string
	// Bins are the programs to run.
	Bins Binaries
	// Dir holds the certificates, etcd's data, kubeconfigs and every component's log.
	Dir string
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// ControlPlane is a running control plane. Stop ends every process it started.
type ControlPlane struct {
	Host *Cluster
	// Dir is where kubeconfigs and logs are: Dir/host.kubeconfig, Dir/logs/<component>.log.
	Dir string

	opts  Options
	etcd  string
	ca    *authority
	mu    sync.Mutex
	procs []*process
	// standIns are the API servers standing in for each tenant's virtual cluster, by tenant id.
	standIns map[string]*standIn
	// rancher is the Rancher stand-in's import endpoint and the tokens the player made;
	// registrars the registrar player's memory of each Job.
	rancher    *rancherServer
	registrars registrarPlayer
	// crossplaneMetrics is Crossplane's Prometheus endpoint.
	crossplaneMetrics string
	// The package runtime's state (runtimeplayer.go): the registry packages come from, each
	// running function revision by name, provider-kubernetes once its revision runs.
	registry           *ociRegistry
	functions          map[string]*functionRuntime
	providerKubernetes *process
	// charts is the vcluster chart's repository and the egress proxy provider-helm reaches it
	// through (chartmirror.go); providerHelm runs once its revision does.
	charts         *chartMirror
	providerHelm   *process
	hostKubeconfig string
	pt             ports
	playCtx        context.Context
	stopPlay       context.CancelFunc
	played         sync.WaitGroup
	// StartedIn is how long Start took.
	StartedIn time.Duration
}

// CircuitBreakerBurst is the XR circuit breaker's capacity Crossplane runs with here: the value
// docs/operating.md recommends for this composition.
const CircuitBreakerBurst = 16000

// Ports the control plane's servers listen on, picked free at start.
type ports struct {
	xpWebhook, xpMetrics, xpHealth, pkHealth int
}

// Start brings the whole control plane up and returns once Crossplane can compose a claim with
// this function. On error, everything already started is stopped.
func Start(ctx context.Context, o Options) (_ *ControlPlane, err error) {
	began := time.Now()
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if err := o.Bins.check(); err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: o.Dir, opts: o, standIns: map[string]*standIn{}, functions: map[string]*functionRuntime{},
		registrars: registrarPlayer{jobs: map[types.UID]*registrarState{}}}
	cp.playCtx, cp.stopPlay = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			cp.Stop()
		}
	}()
	if err := cp.writePKI(); err != nil {
		return nil, err
	}
	etcd, etcdURL, err := startEtcd(ctx, o.Bins, o.Dir)
	if err != nil {
		return nil, err
	}
	cp.keep(etcd)
	cp.etcd = etcdURL
	o.Logf("etcd ready at %s", etcdURL)

	api, err := startAPIServer(ctx, o.Bins, o.Dir, "kube-apiserver", etcdURL, "/host", false, nil)
	if err != nil {
		return nil, err
	}
	cp.keep(api.process)
	if cp.Host, err = newCluster("host", api.url, cp.caFile()); err != nil {
		return nil, err
	}
	hostKubeconfig := filepath.Join(o.Dir, "host.kubeconfig")
	cp.hostKubeconfig = hostKubeconfig
	if err := os.WriteFile(hostKubeconfig, cp.Host.Kubeconfig(), 0o600); err != nil {
		return nil, err
	}
	o.Logf("kube-apiserver ready at %s", api.url)

	kcm, err := startControllerManager(o.Bins, o.Dir, "kube-controller-manager", hostKubeconfig, hostControllers+hostOnlyControllers)
	if err != nil {
		return nil, err
	}
	cp.keep(kcm)

	p, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	cp.pt = ports{p[0], p[1], p[2], p[3]}
	if err := cp.installCRDs(ctx); err != nil {
		return nil, err
	}
	o.Logf("upstream CRDs established")
	if err := cp.startCrossplane(ctx); err != nil {
		return nil, err
	}
	if cp.registry, err = startRegistry(); err != nil {
		return nil, err
	}
	o.Logf("Crossplane ready; package mirror at %s", cp.registry.host)
	if cp.rancher, err = cp.startRancherServer(); err != nil {
		return nil, err
	}
	o.Logf("Rancher stand-in serving the import endpoint at %s (for %s)", cp.rancher.url, RancherURL)
	if cp.charts, err = cp.startChartMirror(chartRepositories(o.Bins)); err != nil {
		return nil, err
	}
	o.Logf("chart repositories served as https://%s and https://%s through the egress proxy %s", chartRepositoryHost, monitoringRepositoryHost, cp.charts.proxyURL)
	cp.play("runtime player (the External package runtime)", cp.playRuntime)
	if err := cp.installPlatform(ctx); err != nil {
		return nil, err
	}
	cp.startPlayers()
	cp.StartedIn = time.Since(began)
	o.Logf("control plane ready in %s", cp.StartedIn.Round(100*time.Millisecond))
	return cp, nil
}

// hostControllers are the host's controllers: the two without which nothing is ever removed,
// garbage collection (owner references) and namespace deletion, and the one that takes
// kubernetes.io/pvc-protection off a volume claim (the API server puts it on every claim), so
// that a tenant's namespace can finish deleting its data. The Job controller is the registrar
// player's part (registrarplayer.go).
const hostControllers = "garbage-collector-controller,namespace-controller,persistentvolumeclaim-protection-controller"

// hostOnlyControllers turn what Helm installs into what the host's admission judges: the
// StatefulSet controller makes the control plane's Pod and its volume claims (the API server's
// Pod Security and quota admission decide whether they exist), and the quota controller keeps
// the chart's ResourceQuota's usage, without which quota admission refuses every Pod.
const hostOnlyControllers = ",statefulset-controller,resourcequota-controller"

// virtualControllers are a virtual cluster's: also those that turn a Deployment into Pods
// (deployment, replicaset) and give every namespace its default ServiceAccount, so Rancher's
// agent becomes a Pod judged by the virtual API server's admission. No scheduler, no kubelet:
// the Pod stays Pending.
const virtualControllers = hostControllers + ",deployment-controller,replicaset-controller,serviceaccount-controller"

// startControllerManager runs kube-controller-manager with the named controllers.
func startControllerManager(bins Binaries, dir, name, kubeconfig, controllers string) (*process, error) {
	return startProcess(filepath.Join(dir, "logs"), name, nil, bins.ControllerManager,
		"--kubeconfig="+kubeconfig,
		"--controllers="+controllers,
		"--leader-elect=false", "--secure-port=0")
}

func (cp *ControlPlane) keep(p *process) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.procs = append(cp.procs, p)
}

// Stop stops the players, every stand-in, every function revision and every component, last
// started first.
func (cp *ControlPlane) Stop() {
	if cp.stopPlay != nil {
		cp.stopPlay()
		cp.played.Wait()
	}
	cp.mu.Lock()
	procs := cp.procs
	for _, s := range cp.standIns {
		procs = append(procs, s.api.process, s.controllers)
	}
	for _, f := range cp.functions {
		procs = append(procs, f.proc)
	}
	cp.procs, cp.standIns, cp.functions = nil, map[string]*standIn{}, map[string]*functionRuntime{}
	cp.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop()
	}
	cp.registry.stop()
	cp.rancher.stop()
	cp.charts.stop()
}

// Crashed reports a component that exited while the control plane runs.
func (cp *ControlPlane) Crashed() error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, p := range cp.procs {
		if err := p.exited(); err != nil {
			return err
		}
	}
	for _, f := range cp.functions {
		if err := f.proc.exited(); err != nil {
			return err
		}
	}
	return nil
}

// LogTail is the end of a component's log, for a failing test's output.
func (cp *ControlPlane) LogTail(component string, lines int) string {
	p := &process{name: component, logPath: filepath.Join(cp.Dir, "logs", component+".log")}
	return p.tail(lines)
}

func (cp *ControlPlane) pki(parts ...string) string {
	return filepath.Join(append([]string{cp.Dir, "pki"}, parts...)...)
}

func (cp *ControlPlane) caFile() string { return cp.pki("apiserver", "ca.crt") }

// writePKI makes the CA and one certificate per server: API servers, Crossplane's function client
// and webhook. Each package revision's certificate is issued as it runs (runtimeplayer.go).
func (cp *ControlPlane) writePKI() error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	cp.ca = ca
	for _, name := range []string{"apiserver", "crossplane-client", "crossplane-webhook"} {
		if err := ca.issue(cp.pki(name), name); err != nil {
			return err
		}
	}
	return serviceAccountKey(cp.pki("sa.key"))
}

func (cp *ControlPlane) startCrossplane(ctx context.Context) error {
	// The package cache must exist (a volume in a cluster): Crossplane stores each package's
	// contents there as it parses them, and fails the parse when it cannot.
	if err := os.MkdirAll(filepath.Join(cp.Dir, "xpkg-cache"), 0o750); err != nil {
		return err
	}
	p, err := startProcess(filepath.Join(cp.Dir, "logs"), "crossplane",
		[]string{"KUBECONFIG=" + cp.hostKubeconfig, "POD_NAMESPACE=crossplane-system"},
		cp.opts.Bins.Crossplane, "core", "start",
		// No pods here: the function's endpoint is set by the harness.
		"--package-runtime=External",
		// The Usage webhook runs, so deletion ordering is Crossplane's own; the harness registers
		// it with a loopback URL (installPlatform) where a cluster would use a Service.
		"--enable-webhooks=true",
		"--webhook-port="+strconv.Itoa(cp.pt.xpWebhook),
		"--tls-server-certs-dir="+cp.pki("crossplane-webhook"),
		"--tls-client-certs-dir="+cp.pki("crossplane-client"),
		"--xpkg-cache-dir="+filepath.Join(cp.Dir, "xpkg-cache"),
		"--metrics-port="+strconv.Itoa(cp.pt.xpMetrics),
		"--health-probe-port="+strconv.Itoa(cp.pt.xpHealth),
		// A registered tenant composes about 25 resources whose creation and status updates reach
		// the XR as 650-800 breaker events (measured here). Crossplane's default XR circuit
		// breaker (burst 100) opens during every tenant's creation and drops the events that
		// would move it on, stalling it for minutes (crossplane#7703). docs/operating.md
		// explains the setting platforms need; the e2e checks the breaker never opens.
		"--circuit-breaker-burst="+strconv.Itoa(CircuitBreakerBurst),
		// The Configuration pins the function at its own version; upgrading the Configuration
		// upgrades that dependency only with this (alpha) feature (docs/upgrading.md).
		"--enable-dependency-version-upgrades",
		"--debug")
	if err != nil {
		return err
	}
	cp.keep(p)
	cp.crossplaneMetrics = "http://" + addr(cp.pt.xpMetrics) + "/metrics"
	return cp.waitHealthy(ctx, p, cp.pt.xpHealth, "/readyz")
}

// startProviderKubernetes runs provider-kubernetes serving its webhooks with certsDir: the
// package runtime starts it once Crossplane installed its revision (runtimeplayer.go).
func (cp *ControlPlane) startProviderKubernetes(ctx context.Context, certsDir string) (*process, error) {
	p, err := startProcess(filepath.Join(cp.Dir, "logs"), "provider-kubernetes",
		[]string{"KUBECONFIG=" + cp.hostKubeconfig, "TLS_SERVER_CERTS_DIR=" + certsDir},
		cp.opts.Bins.ProviderKubernetes,
		"--health-probe-bind-addr="+addr(cp.pt.pkHealth),
		// Observe-only Objects (Rancher's token and cluster) are read again on every poll; the
		// default 10 minutes suits production, not a test that waits for Rancher's answer.
		"--poll=5s",
		"--enable-watches",
		// As docs/operating.md recommends: Secret data never shows in an Object's status.
		"--sanitize-secrets",
		"--debug")
	if err != nil {
		return nil, err
	}
	cp.keep(p)
	return p, cp.waitHealthy(ctx, p, cp.pt.pkHealth, "/readyz")
}

// startProviderHelm runs provider-helm, the real one, out of cluster like provider-kubernetes:
// with the host's kubeconfig, the egress proxy and trust store that reach the chart repository
// (chartmirror.go), and Helm's folders and its chart cache in a folder of its own. It serves no
// webhooks (its CRDs convert nothing) and no health endpoint: it runs once its process stays up.
func (cp *ControlPlane) startProviderHelm(ctx context.Context) (*process, error) {
	home := filepath.Join(cp.Dir, "provider-helm")
	if err := os.MkdirAll(home, 0o750); err != nil {
		return nil, err
	}
	env := append([]string{
		"KUBECONFIG=" + cp.hostKubeconfig,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
	}, cp.charts.env(cp.caFile())...)
	p, err := startProcessIn(home, filepath.Join(cp.Dir, "logs"), "provider-helm", env, cp.opts.Bins.ProviderHelm,
		// As for provider-kubernetes: a test waits for drift to be seen, production does not.
		"--poll=5s",
		"--debug")
	if err != nil {
		return nil, err
	}
	cp.keep(p)
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	return p, p.exited()
}

func (cp *ControlPlane) waitHealthy(ctx context.Context, p *process, port int, path string) error {
	return poll(ctx, 2*time.Minute, p.name+" healthy", func() (bool, string, error) {
		if err := p.exited(); err != nil {
			return false, "", err
		}
		ok, why := httpOK("http://" + addr(port) + path)
		return ok, why, nil
	})
}
