// Command loadrun is the gRPC part of `make bench`: it serves the function binary the way
// Crossplane runs it (mTLS, its own process) and calls it with the request Crossplane sends for
// the full example tenant once it is registered, from 1 and from many concurrent streams for a
// fixed time. Beside it runs the floor: a function served the same way that decodes the same
// request and returns a canned response of the same size, so the table shows what is the
// function's own and what any function pays for gRPC. It writes throughput, p50/p99 latency and
// each server's peak RSS into a document between <!-- load:begin --> and <!-- load:end -->.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	function "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/tenantcluster/function-tenantcluster/fn"
	"github.com/tenantcluster/function-tenantcluster/internal/docsection"
	"github.com/tenantcluster/function-tenantcluster/internal/requests"
)

const (
	begin = "<!-- load:begin -->"
	end   = "<!-- load:end -->"
)

func main() {
	var (
		binary   = flag.String("function", "bin/function-tenantcluster", "the function binary to serve")
		doc      = flag.String("doc", "docs/performance.md", "the document to write the table into")
		streams  = flag.String("streams", "1,32", "concurrent streams to call with, comma-separated")
		duration = flag.Duration("duration", 10*time.Second, "how long each load runs")
		floor    = flag.String("serve-floor", "", "internal: serve the floor function on this address with -certs and -response")
		certs    = flag.String("certs", "", "internal: the floor's certificate folder")
		canned   = flag.String("response", "", "internal: the floor's canned response (protobuf)")
	)
	flag.Parse()
	var err error
	if *floor != "" {
		err = serveFloor(*floor, *certs, *canned)
	} else {
		err = run(*binary, *doc, *streams, *duration)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadrun:", err)
		os.Exit(1)
	}
}

// floorFunction decodes the request (gRPC does) and returns the canned response.
type floorFunction struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
	rsp *fnv1.RunFunctionResponse
}

func (f *floorFunction) RunFunction(context.Context, *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return f.rsp, nil
}

func serveFloor(address, certs, canned string) error {
	raw, err := os.ReadFile(canned) //nolint:gosec // written by this command's parent
	if err != nil {
		return err
	}
	rsp := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(raw, rsp); err != nil {
		return err
	}
	return function.Serve(&floorFunction{rsp: rsp},
		function.Listen("tcp", address), function.MTLSCertificates(certs), function.WithMetricsServer(""))
}

// server is one function process under load.
type server struct {
	name, address string
	cmd           *exec.Cmd
}

// measurement is one load at one number of streams.
type measurement struct {
	server     string
	streams    int
	calls      int
	throughput float64
	p50, p99   time.Duration
}

func run(binary, doc, streamList string, duration time.Duration) error {
	req, err := fullTenantRequest()
	if err != nil {
		return err
	}
	rsp, err := fn.NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tenantcluster-loadrun-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	clientTLS, err := writeCertificates(dir)
	if err != nil {
		return err
	}
	canned := filepath.Join(dir, "response.pb")
	raw, err := proto.Marshal(rsp)
	if err != nil {
		return err
	}
	if err := os.WriteFile(canned, raw, 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	servers := []*server{{name: "function-tenantcluster"}, {name: "floor"}}
	for _, s := range servers {
		if s.address, err = freeAddress(); err != nil {
			return err
		}
	}
	servers[0].cmd = exec.Command(binary, "--address="+servers[0].address, "--metrics-address=") //nolint:gosec // our own binary
	servers[0].cmd.Env = append(os.Environ(), "TLS_SERVER_CERTS_DIR="+dir)
	servers[1].cmd = exec.Command(self, "-serve-floor="+servers[1].address, "-certs="+dir, "-response="+canned) //nolint:gosec // this command
	for _, s := range servers {
		s.cmd.Stderr = os.Stderr
		if err := s.cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		defer func() {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}()
	}
	var counts []int
	for _, f := range strings.Split(streamList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-streams: %q is not a number of streams", f)
		}
		counts = append(counts, n)
	}
	var results []measurement
	for _, n := range counts {
		// Both servers at each number of streams, one after the other, in the same run.
		for _, s := range servers {
			m, err := load(s, clientTLS, req, n, duration)
			if err != nil {
				return err
			}
			results = append(results, m)
			fmt.Fprintf(os.Stderr, "%s, %d streams: %d calls, %.0f calls/s, p50 %s, p99 %s\n",
				m.server, n, m.calls, m.throughput, m.p50, m.p99)
		}
	}
	rss := map[string]string{}
	for _, s := range servers {
		rss[s.name] = peakRSS(s.cmd.Process.Pid)
	}
	return writeTable(doc, len(raw), proto.Size(req), duration, results, rss)
}

// fullTenantRequest is the request for examples/claims/full.yaml once registered and connected,
// with the XR status each step of its history wrote, as Crossplane would send it.
func fullTenantRequest() (*fnv1.RunFunctionRequest, error) {
	f := fn.NewFunction(logging.NewNopLogger())
	steps := []string{"rancher/0-deployed", "rancher/1-cluster", "rancher/2-registering", "rancher/3-connected"}
	var status map[string]any
	var req *fnv1.RunFunctionRequest
	for i := range steps {
		var err error
		req, err = requests.Example(".", filepath.Join("examples", "claims", "full.yaml"), strings.Join(steps[:i+1], ","), status)
		if err != nil {
			return nil, err
		}
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			return nil, err
		}
		status, _ = rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	}
	return req, nil
}

// load calls s from n goroutines, each on its own stream of calls over one connection, for d.
func load(s *server, tlsConfig *tls.Config, req *fnv1.RunFunctionRequest, n int, d time.Duration) (measurement, error) {
	conn, err := grpc.NewClient(s.address, grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)))
	if err != nil {
		return measurement{}, err
	}
	defer func() { _ = conn.Close() }()
	client := fnv1.NewFunctionRunnerServiceClient(conn)
	// Wait until it serves, and warm up.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := client.RunFunction(context.Background(), req)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return measurement{}, fmt.Errorf("%s does not answer: %w", s.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      []error
		wg        sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				began := time.Now()
				if _, err := client.RunFunction(context.Background(), req); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return measurement{}, fmt.Errorf("%s: %w", s.name, errors.Join(errs...))
	}
	slices.Sort(latencies)
	return measurement{
		server: s.name, streams: n, calls: len(latencies),
		throughput: float64(len(latencies)) / d.Seconds(),
		p50:        percentile(latencies, 0.50), p99: percentile(latencies, 0.99),
	}, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// peakRSS is a process's peak resident set (VmHWM) as Linux reports it.
func peakRSS(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
			}
		}
	}
	return "?"
}

func writeTable(doc string, rspSize, reqSize int, d time.Duration, results []measurement, rss map[string]string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs, %s: the request %d bytes, the response %d bytes, %s per load.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), reqSize, rspSize, d)
	b.WriteString("| server | streams | calls per second | p50 | p99 | ratio to the floor (calls per second) |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	floor := map[int]float64{}
	for _, m := range results {
		if m.server == "floor" {
			floor[m.streams] = m.throughput
		}
	}
	for _, m := range results {
		ratio := ""
		if f := floor[m.streams]; f > 0 {
			ratio = fmt.Sprintf("%.2f", m.throughput/f)
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %s |\n", m.server, m.streams, m.throughput, round(m.p50), round(m.p99), ratio)
	}
	fmt.Fprintf(&b, "\nPeak RSS over the whole run: function-tenantcluster %s, floor %s.\n", rss["function-tenantcluster"], rss["floor"])
	return docsection.Write(doc, begin, end, b.String())
}

func round(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// writeCertificates makes a CA and one certificate for both ends, written as the function reads
// them (tls.crt, tls.key, ca.crt: what Crossplane mounts), and returns the client's TLS config.
func writeCertificates(dir string) (*tls.Config, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loadrun CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "function"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": caPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}, nil
}
