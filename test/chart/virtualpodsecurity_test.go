package chart

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverapiv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverapiv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	podsecurityadmission "k8s.io/pod-security-admission/admission"
	"k8s.io/pod-security-admission/admission/api/load"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/metrics"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	vconfig "github.com/loft-sh/vcluster/config"
)

// admissionFlag is the virtual API server's flag that names its admission configuration.
const admissionFlag = "--admission-control-config-file="

// virtualAdmission is the Pod Security admission of a tenant's virtual API server, built the way
// kube-apiserver builds it: the flag from the configuration the syncer reads, the file from the
// ConfigMap the chart renders and mounts at that path, read with the API server's own admission
// configuration reader and the PodSecurity plugin's own loader.
func virtualAdmission(t *testing.T, out rendered, controlPlane string) *podsecurityadmission.Admission {
	t.Helper()
	cfg := &vconfig.Config{}
	if err := vconfig.UnmarshalYAMLStrict(out.config, cfg); err != nil {
		t.Fatal(err)
	}
	var file string
	for _, arg := range cfg.ControlPlane.Distro.K8S.APIServer.ExtraArgs {
		if strings.HasPrefix(arg, admissionFlag) {
			file = strings.TrimPrefix(arg, admissionFlag)
		}
	}
	if file == "" {
		t.Fatalf("the virtual API server gets no %s (extra args %v)", admissionFlag, cfg.ControlPlane.Distro.K8S.APIServer.ExtraArgs)
	}
	data := mountedFile(t, out, controlPlane, file)

	// kube-apiserver: --admission-control-config-file, then the PodSecurity plugin's section.
	path := filepath.Join(t.TempDir(), "admission.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The scheme kube-apiserver reads it with (k8s.io/apiserver/pkg/server/options/admission.go).
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apiserverapi.AddToScheme, apiserverapiv1alpha1.AddToScheme, apiserverapiv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	provider, err := admission.ReadAdmissionConfiguration([]string{"PodSecurity"}, path, scheme)
	if err != nil {
		t.Fatalf("kube-apiserver would not start: %v", err)
	}
	reader, err := provider.ConfigFor("PodSecurity")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := load.LoadFromReader(reader)
	if err != nil {
		t.Fatalf("the PodSecurity plugin would not start: %v", err)
	}
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &podsecurityadmission.Admission{
		Configuration:    conf,
		Evaluator:        ev,
		Metrics:          nopRecorder{},
		PodSpecExtractor: podsecurityadmission.DefaultPodSpecExtractor{},
		NamespaceGetter:  unlabelledNamespaces{},
		PodLister:        unlabelledNamespaces{},
	}
	if err := a.CompleteConfiguration(); err != nil {
		t.Fatal(err)
	}
	if err := a.ValidateConfiguration(); err != nil {
		t.Fatal(err)
	}
	return a
}

// mountedFile returns the content of the file at path in the control plane's container, from the
// ConfigMap volume the chart mounts there.
func mountedFile(t *testing.T, out rendered, controlPlane, path string) []byte {
	t.Helper()
	tpl, ok := podTemplates(t, out)[controlPlane]
	if !ok {
		t.Fatalf("no %s rendered", controlPlane)
	}
	for _, c := range tpl.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if filepath.Dir(path) != filepath.Clean(m.MountPath) {
				continue
			}
			for _, v := range tpl.Spec.Volumes {
				if v.Name != m.Name || v.ConfigMap == nil {
					continue
				}
				cm := out.one(t, "ConfigMap", v.ConfigMap.Name)
				data, found, _ := unstructured.NestedString(cm.Object, "data", filepath.Base(path))
				if !found {
					t.Fatalf("ConfigMap %s has no key %s", v.ConfigMap.Name, filepath.Base(path))
				}
				return []byte(data)
			}
		}
	}
	t.Fatalf("nothing is mounted at %s in %s", filepath.Dir(path), controlPlane)
	return nil
}

// admit asks the admission whether a pod may be created in a virtual namespace.
func admit(a *podsecurityadmission.Admission, namespace string, pod *corev1.Pod) *admissionv1.AdmissionResponse {
	pod = pod.DeepCopy()
	pod.Namespace = namespace
	return a.ValidatePod(context.Background(), &psapi.AttributesRecord{
		Name: pod.Name, Namespace: namespace,
		Kind:      corev1.SchemeGroupVersion.WithKind("Pod"),
		Resource:  corev1.SchemeGroupVersion.WithResource("pods"),
		Operation: admissionv1.Create, Object: pod, Username: "tenant-admin",
	})
}

// readPod reads a pod from the function's test data.
func readPod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, "fn", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(raw, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// TestVirtualClusterPodSecurity judges pods inside each tenant's virtual cluster with the Pod
// Security admission its API server runs, configured from what the real chart renders with the
// function's values: the tenant's own pods at the tenant's level in every namespace, and
// Rancher's stock cluster agent admitted in Rancher's namespace exactly when the tenant is
// registered (otherwise nothing of Rancher's belongs there).
func TestVirtualClusterPodSecurity(t *testing.T) {
	agent := readPod(t, "cattle-cluster-agent-pod.yaml")
	// A pod that meets only baseline: the agent itself is one.
	baselineOnly := agent
	privileged := agent.DeepCopy()
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}

	for _, tc := range tenants() {
		t.Run(tc.name, func(t *testing.T) {
			r := compose(t, tc)
			out := render(t, r)
			controlPlane := "StatefulSet/" + r.name
			if _, ok := podTemplates(t, out)[controlPlane]; !ok {
				controlPlane = "Deployment/" + r.name
			}
			a := virtualAdmission(t, out, controlPlane)
			level := hostLevelOfTenant(t, r)
			registered := r.desired["rancher-cluster"] != nil

			for _, ns := range []string{"default", "payments", "kube-system"} {
				got := admit(a, ns, baselineOnly).Allowed
				if want := level != "restricted"; got != want {
					t.Errorf("a baseline pod in virtual namespace %s: allowed %v, want %v at the tenant's level %s", ns, got, want, level)
				}
				if admit(a, ns, privileged).Allowed {
					t.Errorf("a privileged pod in virtual namespace %s is allowed at the tenant's level %s", ns, level)
				}
			}
			for _, ns := range []string{"cattle-system", "cattle-fleet-system"} {
				if got := admit(a, ns, agent).Allowed; got != (registered || level != "restricted") {
					t.Errorf("Rancher's agent in virtual namespace %s: allowed %v with registration %v at level %s", ns, got, registered, level)
				}
			}
		})
	}
}

// hostLevelOfTenant is the Pod Security level the tenant asked for (or got by default): what
// the host Namespace audits.
func hostLevelOfTenant(t *testing.T, r release) string {
	t.Helper()
	ns := r.desired["namespace"].GetResource().AsMap()
	level, _, _ := unstructured.NestedString(ns, "spec", "forProvider", "manifest", "metadata", "labels", "pod-security.kubernetes.io/audit")
	if !slices.Contains([]string{"privileged", "baseline", "restricted"}, level) {
		t.Fatalf("the host Namespace audits no known level: %q", level)
	}
	return level
}

// unlabelledNamespaces is a virtual cluster whose namespaces carry no Pod Security labels, so
// the admission's defaults decide: how a tenant's namespaces start.
type unlabelledNamespaces struct{}

func (unlabelledNamespaces) GetNamespace(_ context.Context, name string) (*corev1.Namespace, error) {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, nil
}

// ListPods is used only when a namespace's labels change; a new virtual cluster has no pods.
func (unlabelledNamespaces) ListPods(context.Context, string) ([]*corev1.Pod, error) {
	return nil, nil
}

type nopRecorder struct{}

func (nopRecorder) RecordEvaluation(metrics.Decision, psapi.LevelVersion, metrics.Mode, psapi.Attributes) {
}
func (nopRecorder) RecordExemption(psapi.Attributes)   {}
func (nopRecorder) RecordError(bool, psapi.Attributes) {}
