package controlplane

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// rancherAgentImage is the agent image the stand-in's import manifest names. Nothing pulls it:
// the virtual cluster has no kubelet, so the agent's pod stays Pending once admitted.
const rancherAgentImage = "rancher/rancher-agent:v2.13.8"

//go:embed testdata/rancher-import.yaml
var importTemplateSource string

var importTemplate = template.Must(template.New("import").Option("missingkey=error").Parse(importTemplateSource))

// rancherServer is the Rancher stand-in's HTTP endpoint: the one request a registration makes
// of Rancher's server, GET /v3/import/<token>_<cluster id>.yaml, answered from the token Secret
// the player created on the host, as Rancher's ClusterImportHandler answers from its own.
type rancherServer struct {
	cp     *ControlPlane
	url    string
	srv    *http.Server
	served sync.WaitGroup

	mu sync.Mutex
	// tokens are every registration token the player made, by cluster id: the e2e checks none
	// of them ever reaches a composed resource, the XR, the claim or the function's log.
	tokens map[string]string
	// unavailable: the server answers every request 503, as a Rancher that is down or being
	// upgraded behind its load balancer.
	unavailable bool
}

// SetRancherUnavailable makes the Rancher stand-in answer every request with 503 Service
// Unavailable (true), or serve again (false).
func (cp *ControlPlane) SetRancherUnavailable(down bool) {
	cp.rancher.mu.Lock()
	defer cp.rancher.mu.Unlock()
	cp.rancher.unavailable = down
	cp.opts.Logf("rancher stand-in: unavailable=%v", down)
}

// startRancherServer serves the import endpoint over HTTPS on loopback, with a certificate from
// the run's CA (what the registrar verifies it with, in place of the machine's trust store).
func (cp *ControlPlane) startRancherServer() (*rancherServer, error) {
	if err := cp.ca.issue(cp.pki("rancher"), "rancher"); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(cp.pki("rancher", "tls.crt"), cp.pki("rancher", "tls.key"))
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &rancherServer{cp: cp, url: "https://" + l.Addr().String(), tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/import/{filename}", r.importManifest)
	r.srv = &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	r.served.Add(1)
	go func() {
		defer r.served.Done()
		_ = r.srv.ServeTLS(l, "", "")
	}()
	return r, nil
}

func (r *rancherServer) stop() {
	if r == nil {
		return
	}
	_ = r.srv.Close()
	r.served.Wait()
}

// RancherTokens are every registration token the Rancher player made in this run.
func (cp *ControlPlane) RancherTokens() []string {
	r := cp.rancher
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.tokens))
	for _, t := range r.tokens {
		out = append(out, t)
	}
	return out
}

// RancherToken is the registration token of a cluster, by its id ("" when there is none).
func (cp *ControlPlane) RancherToken(clusterID string) string {
	cp.rancher.mu.Lock()
	defer cp.rancher.mu.Unlock()
	return cp.rancher.tokens[clusterID]
}

// newToken makes a registration token as Rancher's randomtoken.Generate does: 54 characters of
// an alphabet without vowels or look-alikes.
func (r *rancherServer) newToken(clusterID string) (string, error) {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 54)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		b[i] = alphabet[n.Int64()]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tokens[clusterID]; t != "" {
		return t, nil
	}
	r.tokens[clusterID] = string(b)
	return string(b), nil
}

// importManifest answers GET /v3/import/<token>_<cluster id>.yaml: the manifest for a valid
// token of an existing cluster; otherwise Rancher's own answer (400, "cluster not found or
// invalid token"), which never repeats the token.
func (r *rancherServer) importManifest(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	r.mu.Lock()
	down := r.unavailable
	r.mu.Unlock()
	if down {
		r.cp.opts.Logf("rancher stand-in: an import request answered 503 (unavailable)")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("Service Unavailable"))
		return
	}
	token, clusterID, ok := strings.Cut(strings.TrimSuffix(req.PathValue("filename"), ".yaml"), "_")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("invalid filename format, expected {token}_{clusterId}.yaml"))
		return
	}
	if !r.valid(req.Context(), clusterID, token) {
		r.cp.opts.Logf("rancher stand-in: GET /v3/import/<token>_%s.yaml refused: cluster not found or invalid token", clusterID)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("cluster not found or invalid token"))
		return
	}
	var buf bytes.Buffer
	if err := renderImport(&buf, RancherURL, token, r.cp.ca.certPEM); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(err.Error()))
		return
	}
	r.cp.opts.Logf("rancher stand-in: served the import manifest of %s", clusterID)
	_, _ = w.Write(buf.Bytes())
}

// valid: the management cluster exists and the token is the one in its token Secret.
func (r *rancherServer) valid(ctx context.Context, clusterID, token string) bool {
	if !isDNSLabel(clusterID) {
		return false
	}
	if _, found, err := r.cp.Host.Get(ctx, gvkMgmtCluster, "", clusterID); err != nil || !found {
		return false
	}
	secret, found, err := r.cp.Host.Get(ctx, gvkSecret, clusterID, tokenSecretName)
	if err != nil || !found {
		return false
	}
	encoded, _, _ := unstructured.NestedString(secret.Object, "data", "token")
	want, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(want) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(want, []byte(token)) == 1
}

// renderImport renders the import manifest as Rancher's SystemTemplate does: the credentials
// Secret is named after a hash of URL, token and namespace, and holds them base64-encoded.
func renderImport(w *bytes.Buffer, url, token string, ca []byte) error {
	key := sha256.Sum256([]byte(url + "." + token + "."))
	caSum := sha256.Sum256(ca)
	enc := base64.StdEncoding.EncodeToString
	return importTemplate.Execute(w, map[string]string{
		"TokenKey":   hex.EncodeToString(key[:])[:10],
		"Token":      enc([]byte(token)),
		"URL":        enc([]byte(url)),
		"Namespace":  enc(nil),
		"URLPlain":   url,
		"CAChecksum": hex.EncodeToString(caSum[:]),
		"AgentImage": rancherAgentImage,
	})
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
