package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// adminToken authenticates the harness and every component as a member of system:masters.
// The API servers listen on loopback only and live as long as one test run.
const adminToken = "tenantcluster-e2e-admin"

// startEtcd runs one etcd for every API server of the control plane; each API server keeps its
// own key prefix, so a stand-in virtual cluster costs no extra etcd.
func startEtcd(ctx context.Context, bins Binaries, dir string) (*process, string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	client, peer := "http://"+addr(ports[0]), "http://"+addr(ports[1])
	p, err := startProcess(filepath.Join(dir, "logs"), "etcd", nil, bins.Etcd,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=e2e="+peer,
		// The control plane's data lives only as long as the run: no fsync per write.
		"--unsafe-no-fsync",
		"--log-level=warn")
	if err != nil {
		return nil, "", err
	}
	err = poll(ctx, time.Minute, "etcd healthy", func() (bool, string, error) {
		if err := p.exited(); err != nil {
			return false, "", err
		}
		resp, err := http.Get(client + "/health")
		if err != nil {
			return false, err.Error(), nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	if err != nil {
		p.stop()
		return nil, "", err
	}
	return p, client, nil
}

// apiServer is one running kube-apiserver: the host cluster, or a stand-in for a virtual
// cluster's API server (a vcluster is an API server; its syncer is what this one lacks).
type apiServer struct {
	*process
	url string
}

// startAPIServer runs kube-apiserver on a free loopback port, storing under prefix in etcd, with
// any extra flags.
func startAPIServer(ctx context.Context, bins Binaries, dir, name, etcd, prefix string, light bool, extra []string) (*apiServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pki := filepath.Join(dir, "pki")
	tokens := filepath.Join(pki, "tokens.csv")
	if _, err := os.Stat(tokens); err != nil {
		if err := os.WriteFile(tokens, []byte(adminToken+",admin,admin,system:masters\n"), 0o600); err != nil {
			return nil, err
		}
	}
	args := []string{
		"--etcd-servers=" + etcd,
		"--etcd-prefix=" + prefix,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + filepath.Join(pki, "apiserver", "tls.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "apiserver", "tls.key"),
		"--client-ca-file=" + filepath.Join(pki, "apiserver", "ca.crt"),
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// Its endpoints would be a loopback address, which the Endpoints API refuses.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, name+"-certs"),
		"--profiling=false",
	}
	if light {
		// A stand-in serves a handful of objects: no watch cache, no priority and fairness.
		args = append(args, "--watch-cache=false", "--enable-priority-and-fairness=false")
	}
	args = append(args, extra...)
	p, err := startProcess(filepath.Join(dir, "logs"), name, nil, bins.APIServer, args...)
	if err != nil {
		return nil, err
	}
	s := &apiServer{process: p, url: "https://" + addr(port)}
	client, err := httpsClient(filepath.Join(pki, "apiserver", "ca.crt"))
	if err != nil {
		p.stop()
		return nil, err
	}
	err = poll(ctx, 2*time.Minute, name+" ready", func() (bool, string, error) {
		if err := p.exited(); err != nil {
			return false, "", err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := client.Do(req)
		if err != nil {
			return false, err.Error(), nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Sprint(resp.Status), nil
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	return s, nil
}
