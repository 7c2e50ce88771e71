package controlplane

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The chart repositories as this machine reaches them. The function's Input names
// https://charts.loft.sh (vcluster) and https://prometheus-community.github.io/helm-charts
// (kube-prometheus-stack); there is no internet here, so provider-helm goes through an HTTPS
// proxy on loopback (HTTPS_PROXY, as behind a platform's egress proxy) that connects those two
// hosts on 443, and nothing else, to a server on loopback with a certificate for both from the
// run's CA (SSL_CERT_FILE: the provider's trust store). It serves the repositories `make
// e2e-bins` writes (test/chart/cmd/chartrepo): Helm's own index and the real chart of the
// pinned vcluster module, packaged as vCluster's release pipeline does; and the packaged
// kube-prometheus-stack of ../shared/charts. So each Release is exactly what the packages ship,
// and provider-helm's own Helm fetches and installs it.

// The hosts of the Input's default chart repositories.
const (
	chartRepositoryHost      = "charts.loft.sh"
	monitoringRepositoryHost = "prometheus-community.github.io"
)

// chartRepository is one repository served: at https://<host><path>, the folder dir.
type chartRepository struct {
	host, path, dir string
}

// chartRepositories are the repositories the e2e serves.
func chartRepositories(b Binaries) []chartRepository {
	return []chartRepository{
		{host: chartRepositoryHost, path: "/", dir: b.Charts},
		{host: monitoringRepositoryHost, path: "/helm-charts/", dir: b.MonitoringCharts},
	}
}

type chartMirror struct {
	server, proxy *http.Server
	proxyURL      string
	served        sync.WaitGroup
	// hosts are the repositories' hosts, the only ones the proxy connects.
	hosts map[string]bool
	mu    sync.Mutex
	// fetched counts the requests served by path, so the e2e shows the chart came from here.
	fetched map[string]int
}

// startChartMirror serves each repository's folder (index.yaml, charts/) at its address, behind
// a proxy.
func (cp *ControlPlane) startChartMirror(repos []chartRepository) (*chartMirror, error) {
	mux := http.NewServeMux()
	hosts := map[string]bool{}
	names := make([]string, 0, len(repos))
	for _, r := range repos {
		if _, err := os.Stat(filepath.Join(r.dir, "index.yaml")); err != nil {
			return nil, fmt.Errorf("the chart repository of %s (make e2e-bins writes it): %w", r.host, err)
		}
		mux.Handle(r.host+r.path, http.StripPrefix(strings.TrimSuffix(r.path, "/"), http.FileServer(http.Dir(r.dir))))
		hosts[r.host+":443"] = true
		names = append(names, r.host)
	}
	if err := cp.ca.issue(cp.pki("charts"), names[0], names...); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(cp.pki("charts", "tls.crt"), cp.pki("charts", "tls.key"))
	if err != nil {
		return nil, err
	}
	repoL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	proxyL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = repoL.Close()
		return nil, err
	}
	m := &chartMirror{proxyURL: "http://" + proxyL.Addr().String(), fetched: map[string]int{}, hosts: hosts}
	m.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.mu.Lock()
			m.fetched[r.Host+r.URL.Path]++
			m.mu.Unlock()
			cp.opts.Logf("%s: %s %s", r.Host, r.Method, r.URL.Path)
			mux.ServeHTTP(w, r)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	repoAddr := repoL.Addr().String()
	m.proxy = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.connect(cp, w, r, repoAddr) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	m.served.Add(2)
	go func() {
		defer m.served.Done()
		_ = m.server.ServeTLS(repoL, "", "")
	}()
	go func() {
		defer m.served.Done()
		_ = m.proxy.Serve(proxyL)
	}()
	return m, nil
}

// connect is the proxy: CONNECT to a repository's host on 443 is joined to the repository
// server; every other request is refused, so nothing the provider does reaches anything else by
// surprise.
func (m *chartMirror) connect(cp *ControlPlane, w http.ResponseWriter, r *http.Request, repoAddr string) {
	if r.Method != http.MethodConnect || !m.hosts[r.Host] {
		cp.opts.Logf("egress proxy: refused %s %s (only the chart repositories are reachable)", r.Method, r.Host)
		http.Error(w, "only the chart repositories are reachable from here", http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", repoAddr, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = upstream.Close()
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	client, rw, err := hj.Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	_, _ = rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
	_ = rw.Flush()
	var both sync.WaitGroup
	both.Add(2)
	pipe := func(dst net.Conn, src io.Reader) {
		defer both.Done()
		_, _ = io.Copy(dst, src)
		if c, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = c.CloseWrite()
		}
	}
	go pipe(upstream, rw.Reader) // the client's bytes, with any already buffered
	go pipe(client, upstream)
	both.Wait()
	_ = client.Close()
	_ = upstream.Close()
}

// ChartFetches is how often the chart repositories served each host and path (index.yaml, the
// chart).
func (cp *ControlPlane) ChartFetches() map[string]int {
	m := cp.charts
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.fetched))
	for k, v := range m.fetched {
		out[k] = v
	}
	return out
}

// env is what provider-helm needs to reach the repository: the proxy and the run's CA as its
// trust store. Loopback addresses (the host API server) never go through a proxy in Go.
func (m *chartMirror) env(caFile string) []string {
	return []string{"HTTPS_PROXY=" + m.proxyURL, "SSL_CERT_FILE=" + caFile}
}

func (m *chartMirror) stop() {
	if m == nil {
		return
	}
	_ = m.server.Close()
	_ = m.proxy.Close()
	m.served.Wait()
}
