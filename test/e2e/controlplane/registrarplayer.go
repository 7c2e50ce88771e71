package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The registrar player plays the Job controller and a kubelet for the function's script Jobs
// (compose.ScriptJob: Rancher's registrar, internal/layers/rancher/registrar.go, and the log
// credentials copier, internal/layers/logging/credentials.go), and nothing else of them: the script is the Job's own, run with
// `sh -c` on this machine, with the Job's own environment, as the Job's own ServiceAccount
// (a token minted with the TokenRequest API, so the real API server enforces the Roles the
// function composed). What differs from a pod is only what the machine stands in for:
//
//   - HOME: a fresh folder per run, as the Job's memory-backed emptyDir;
//   - PATH: bin/e2e (kubectl) first, then the machine's (sh, curl, base64), as the image's;
//   - KUBECONFIG: the host API server with the ServiceAccount's token, as the in-cluster config;
//   - RANCHER_URL: the Rancher stand-in's loopback URL in place of Rancher's (DNS), and
//     CURL_CA_BUNDLE: the run's CA, as the image's trust store would hold Rancher's.
//
// A run that fails is run again after a back-off, as the Job's backoffLimit allows; after
// registrarRuns runs the Job is marked Failed with the script's error.

// registrarRuns is how often a Job is run before it counts as failed: backoffLimit 4 + 1.
const registrarRuns = 5

// registrarNamespace is where the function composes registrar Jobs (kubeconfig.secretNamespace).
const registrarNamespace = "crossplane-system"

var gvkServiceAccount = schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}

// registrarState is the player's memory of one Job, by UID.
type registrarState struct {
	running  bool
	finished bool
	runs     int
	next     time.Time
}

type registrarPlayer struct {
	mu   sync.Mutex
	jobs map[types.UID]*registrarState
}

// playRegistrars starts a run of every registrar Job that is due.
func (cp *ControlPlane) playRegistrars(ctx context.Context) error {
	jobs, err := cp.Host.List(ctx, gvkJob, registrarNamespace)
	if err != nil {
		return err
	}
	for i := range jobs {
		job := jobs[i]
		if job.GetLabels()["tenantcluster.io/tenant"] == "" || job.GetDeletionTimestamp() != nil ||
			Condition(&job, "Complete").Status == "True" || Condition(&job, "Failed").Status == "True" {
			continue
		}
		cp.registrars.mu.Lock()
		s := cp.registrars.jobs[job.GetUID()]
		if s == nil {
			s = &registrarState{}
			cp.registrars.jobs[job.GetUID()] = s
		}
		due := !s.running && !s.finished && !time.Now().Before(s.next)
		cp.registrars.mu.Unlock()
		if !due {
			continue
		}
		// No pod without its ServiceAccount: the Job controller would fail to create it.
		sa, _, _ := unstructured.NestedString(job.Object, "spec", "template", "spec", "serviceAccountName")
		if _, found, err := cp.Host.Get(ctx, gvkServiceAccount, job.GetNamespace(), sa); err != nil || !found {
			continue
		}
		cp.registrars.mu.Lock()
		s.running = true
		cp.registrars.mu.Unlock()
		cp.played.Add(1)
		go func() {
			defer cp.played.Done()
			cp.runRegistrar(ctx, &job, s)
		}()
	}
	return nil
}

// runRegistrar runs the Job's script once and reports the outcome in the Job's status when it
// is final.
func (cp *ControlPlane) runRegistrar(ctx context.Context, job *unstructured.Unstructured, s *registrarState) {
	began := time.Now()
	stdout, stderr, err := cp.runRegistrarScript(ctx, job)
	if ctx.Err() != nil {
		return
	}
	cp.registrars.mu.Lock()
	s.runs++
	runs := s.runs
	cp.registrars.mu.Unlock()
	ref := job.GetNamespace() + "/" + job.GetName()
	var statusErr error
	if err == nil {
		cp.opts.Logf("registrar player: Job %s run %d succeeded in %s:\n%s", ref, runs, time.Since(began).Round(10*time.Millisecond), cp.redact(stdout))
		statusErr = cp.finishJob(ctx, job, began, true, runs, "")
	} else {
		why := strings.TrimSpace(stderr)
		if cp.holdsToken(why) {
			why = "the script's error output held a registration token; not shown"
		}
		if why == "" {
			why = err.Error()
		}
		cp.opts.Logf("registrar player: Job %s run %d of %d failed (%v): %s", ref, runs, registrarRuns, err, why)
		if runs >= registrarRuns {
			statusErr = cp.finishJob(ctx, job, began, false, runs, why)
		}
	}
	if statusErr != nil {
		cp.opts.Logf("registrar player: Job %s: status not written: %v", ref, statusErr)
	}
	cp.registrars.mu.Lock()
	defer cp.registrars.mu.Unlock()
	s.running = false
	s.finished = statusErr == nil && (err == nil || runs >= registrarRuns)
	// The Job controller's back-off is 10 s doubling; here 2 s doubling, as tests wait.
	s.next = time.Now().Add((2 * time.Second) << min(runs-1, 4))
}

// redact replaces any registration token in s, so nothing the player logs can leak one (the
// script never prints it).
func (cp *ControlPlane) redact(s string) string {
	for _, t := range cp.RancherTokens() {
		s = strings.ReplaceAll(s, t, "<registration token>")
	}
	return s
}

func (cp *ControlPlane) holdsToken(s string) bool {
	return cp.redact(s) != s
}

// runRegistrarScript runs the Job's container command with the Job's environment and the
// machine's stand-ins (see the file comment).
func (cp *ControlPlane) runRegistrarScript(ctx context.Context, job *unstructured.Unstructured) (stdout, stderr string, err error) {
	podSpec, _, _ := unstructured.NestedMap(job.Object, "spec", "template", "spec")
	containers, _, _ := unstructured.NestedSlice(podSpec, "containers")
	if len(containers) != 1 {
		return "", "", fmt.Errorf("the registrar has %d containers, the player runs one", len(containers))
	}
	container, _ := containers[0].(map[string]any)
	command, _, _ := unstructured.NestedStringSlice(container, "command")
	if len(command) == 0 {
		return "", "", fmt.Errorf("the registrar's container has no command")
	}
	sa, _, _ := unstructured.NestedString(podSpec, "serviceAccountName")

	dir, err := os.MkdirTemp(cp.Dir, "registrar-")
	if err != nil {
		return "", "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return "", "", err
	}
	token, err := cp.serviceAccountToken(ctx, job.GetNamespace(), sa)
	if err != nil {
		return "", "", fmt.Errorf("token for ServiceAccount %s/%s: %w", job.GetNamespace(), sa, err)
	}
	inCluster := filepath.Join(dir, "in-cluster.kubeconfig")
	if err := os.WriteFile(inCluster, tokenKubeconfig(cp.Host.URL, cp.Host.caPEM, job.GetNamespace(), token), 0o600); err != nil {
		return "", "", err
	}

	env := []string{
		"PATH=" + filepath.Dir(cp.opts.Bins.Kubectl) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"KUBECONFIG=" + inCluster,
		"CURL_CA_BUNDLE=" + cp.caFile(),
	}
	vars, _, _ := unstructured.NestedSlice(container, "env")
	for _, v := range vars {
		m, _ := v.(map[string]any)
		name, value := str(m["name"]), str(m["value"])
		if _, from := m["valueFrom"]; from {
			return "", "", fmt.Errorf("env %s comes from %v: not played", name, m["valueFrom"])
		}
		switch name {
		case "HOME":
			value = home
		case "RANCHER_URL":
			value = cp.rancher.url
		case "RANCHER_KUBECONFIG", "RANCHER_CA":
			return "", "", fmt.Errorf("env %s names a mounted file: not played", name)
		}
		env = append(env, name+"="+value)
	}

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, command[0], command[1:]...) //nolint:gosec // the Job's own command, which is what is tested
	cmd.Env, cmd.Dir = env, home
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// serviceAccountToken mints a short-lived token for a ServiceAccount with the TokenRequest API,
// as the kubelet does for a pod's projected token.
func (cp *ControlPlane) serviceAccountToken(ctx context.Context, ns, name string) (string, error) {
	r, err := cp.Host.Resource(gvkServiceAccount, ns)
	if err != nil {
		return "", err
	}
	req := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": map[string]any{"expirationSeconds": int64(600)},
	}}
	req.SetName(name)
	resp, err := r.Create(ctx, req, metav1.CreateOptions{}, "token")
	if err != nil {
		return "", err
	}
	token, _, _ := unstructured.NestedString(resp.Object, "status", "token")
	if token == "" {
		return "", fmt.Errorf("the TokenRequest returned no token")
	}
	return token, nil
}

// tokenKubeconfig is what in-cluster configuration gives a pod: the API server, its CA, the
// pod's token and namespace.
func tokenKubeconfig(url string, ca []byte, namespace, token string) []byte {
	return kubeconfigFor("in-cluster", url, ca, namespace, map[string]any{"token": token})
}

// finishJob writes the Job's final status as the Job controller would: Complete (with
// SuccessCriteriaMet) after a successful run, Failed (with FailureTarget) after the last failed
// one, with the script's error as the message.
func (cp *ControlPlane) finishJob(ctx context.Context, job *unstructured.Unstructured, began time.Time, succeeded bool, runs int, message string) error {
	now := metav1.Now().UTC().Format(time.RFC3339)
	start := job.GetCreationTimestamp().UTC().Format(time.RFC3339)
	status := map[string]any{"startTime": start, "active": 0, "ready": 0}
	if succeeded {
		status["succeeded"], status["failed"] = 1, runs-1
		status["completionTime"] = now
		status["conditions"] = []any{
			condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
			condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
		}
	} else {
		status["failed"] = runs
		message = "BackoffLimitExceeded: " + lastLines(message, 5)
		status["conditions"] = []any{
			condition("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
			condition("Failed", "True", "BackoffLimitExceeded", message),
		}
	}
	if err := cp.Host.MergePatch(ctx, gvkJob, job.GetNamespace(), job.GetName(), map[string]any{"status": status}, "status"); err != nil {
		return err
	}
	state := "Complete"
	if !succeeded {
		state = "Failed"
	}
	cp.opts.Logf("registrar player: Job %s/%s %s after %d run(s), %s", job.GetNamespace(), job.GetName(), state, runs, time.Since(began).Round(10*time.Millisecond))
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
