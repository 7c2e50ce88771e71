package controlplane

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The vcluster chart's repository as this machine reaches it. The function's Input names
// https://charts.loft.sh; there is no internet here, so provider-helm goes through an HTTPS
// proxy on loopback (HTTPS_PROXY, as behind a platform's egress proxy) that connects
// charts.loft.sh:443, and nothing else, to a server on loopback with a certificate for
// charts.loft.sh from the run's CA (SSL_CERT_FILE: the provider's trust store). It serves the
// repository `make e2e-bins` writes (test/chart/cmd/chartrepo): Helm's own index and the real
// chart of the pinned vcluster module, packaged as vCluster's release pipeline does. So the
// Release is exactly what the packages ship, and provider-helm's own Helm fetches and installs it.

// chartRepositoryHost is the host of the Input's default chart repository.
const chartRepositoryHost = "charts.loft.sh"

type chartMirror struct {
	server, proxy *http.Server
	proxyURL      string
	served        sync.WaitGroup
	mu            sync.Mutex
	// fetched counts the requests served by path, so the e2e shows the chart came from here.
	fetched map[string]int
}

// startChartMirror serves dir (index.yaml, charts/) as https://charts.loft.sh behind a proxy.
func (cp *ControlPlane) startChartMirror(dir string) (*chartMirror, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.yaml")); err != nil {
		return nil, fmt.Errorf("the chart repository (make e2e-bins writes it): %w", err)
	}
	if err := cp.ca.issue(cp.pki("charts"), chartRepositoryHost, chartRepositoryHost); err != nil {
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
	m := &chartMirror{proxyURL: "http://" + proxyL.Addr().String(), fetched: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	m.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.mu.Lock()
			m.fetched[r.URL.Path]++
			m.mu.Unlock()
			cp.opts.Logf("charts.loft.sh: %s %s", r.Method, r.URL.Path)
			files.ServeHTTP(w, r)
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

// connect is the proxy: CONNECT charts.loft.sh:443 is joined to the repository server; every
// other request is refused, so nothing the provider does reaches anything else by surprise.
func (m *chartMirror) connect(cp *ControlPlane, w http.ResponseWriter, r *http.Request, repoAddr string) {
	if r.Method != http.MethodConnect || r.Host != chartRepositoryHost+":443" {
		cp.opts.Logf("egress proxy: refused %s %s (only %s:443 is reachable)", r.Method, r.Host, chartRepositoryHost)
		http.Error(w, "only "+chartRepositoryHost+" is reachable from here", http.StatusForbidden)
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

// ChartFetches is how often the chart repository served each path (index.yaml, the chart).
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
