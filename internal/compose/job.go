package compose

import (
	"encoding/json"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// ScriptJob is a Job of the platform's, on the Crossplane cluster, that runs one of the
// function's shell scripts with an image holding sh and kubectl: how a credential reaches where
// it is needed without passing through the function or a composed object (the Rancher
// registrar, the log credentials copier). Its pod meets the Pod Security Standard "restricted"
// and keeps what it reads in a memory-backed $HOME.
type ScriptJob struct {
	// Namespace and Account: where it runs and as whom.
	Namespace, Account string
	// NamePrefix is the Job's name before the hash of its spec: a Job's template cannot change,
	// so a changed Job is a new one.
	NamePrefix string
	// Container, Image and Script are the one container's name, image and script.
	Container, Image, Script string
	// Env are the script's variables (HOME is set); Mounts and Volumes add to $HOME's.
	Env, Mounts, Volumes []any
	// TTLSeconds removes a finished Job after that long; provider-kubernetes then creates it
	// again while it is still composed, which runs the script again.
	TTLSeconds int64
	Labels     map[string]any
}

// scriptJobUID is the unprivileged user the script runs as.
const scriptJobUID int64 = 65532

// Manifest is the Job.
func (j ScriptJob) Manifest() map[string]any {
	env := append([]any{map[string]any{"name": "HOME", "value": "/tmp"}}, j.Env...)
	mounts := append([]any{map[string]any{"name": "tmp", "mountPath": "/tmp"}}, j.Mounts...)
	// Memory-backed: what the script reads never reaches the node's disk.
	volumes := append([]any{map[string]any{"name": "tmp", "emptyDir": map[string]any{"medium": "Memory", "sizeLimit": "16Mi"}}}, j.Volumes...)
	container := map[string]any{
		"name":         j.Container,
		"image":        j.Image,
		"command":      []any{"sh", "-c", j.Script},
		"env":          env,
		"volumeMounts": mounts,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "10m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "256Mi"},
		},
		// The Pod Security Standard "restricted".
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
	}
	spec := map[string]any{
		"backoffLimit":            int64(4),
		"ttlSecondsAfterFinished": j.TTLSeconds,
		"template": map[string]any{
			"metadata": map[string]any{"labels": j.Labels},
			"spec": map[string]any{
				"serviceAccountName": j.Account,
				"restartPolicy":      "Never",
				"securityContext": map[string]any{
					"runAsNonRoot":   true,
					"runAsUser":      scriptJobUID,
					"runAsGroup":     scriptJobUID,
					"seccompProfile": map[string]any{"type": "RuntimeDefault"},
				},
				"containers": []any{container},
				"volumes":    volumes,
			},
		},
	}
	return map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": hashedName(j.NamePrefix, spec), "namespace": j.Namespace, "labels": j.Labels},
		"spec":       spec,
	}
}

// hashedName is prefix and a hash of spec. encoding/json sorts map keys, so the same spec always
// gives the same name.
func hashedName(prefix string, spec map[string]any) string {
	b, err := json.Marshal(spec)
	if err != nil {
		return prefix
	}
	return prefix + "-" + tenant.ShortHash(string(b))
}

// Rule is one rule of a Role: verbs on resources of an API group, only the named ones when
// names are given.
type Rule struct {
	APIGroup, Resource string
	Names, Verbs       []string
}

// Role is a Role with the rules given.
func Role(name, namespace string, labels map[string]any, rules ...Rule) map[string]any {
	rs := make([]any, 0, len(rules))
	for _, r := range rules {
		m := map[string]any{"apiGroups": []any{r.APIGroup}, "resources": []any{r.Resource}, "verbs": anyStrings(r.Verbs)}
		if len(r.Names) > 0 {
			m["resourceNames"] = anyStrings(r.Names)
		}
		rs = append(rs, m)
	}
	return map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"rules":    rs,
	}
}

// GetOnly grants get on the named objects only.
func GetOnly(apiGroup, resource string, names ...string) Rule {
	return Rule{APIGroup: apiGroup, Resource: resource, Names: names, Verbs: []string{"get"}}
}

// RoleBinding binds a Role to one subject.
func RoleBinding(name, namespace string, labels map[string]any, role string, subject map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"roleRef":  map[string]any{"apiGroup": rbacv1.GroupName, "kind": "Role", "name": role},
		"subjects": []any{subject},
	}
}

// Subject is an RBAC subject as a manifest: the ServiceAccount account in namespace when s is
// nil, else s (a User or Group has the RBAC API group, a ServiceAccount its namespace).
func Subject(s *rbacv1.Subject, account, namespace string) map[string]any {
	if s == nil {
		return map[string]any{"kind": rbacv1.ServiceAccountKind, "name": account, "namespace": namespace}
	}
	m := map[string]any{"kind": s.Kind, "name": s.Name}
	if s.Kind == rbacv1.ServiceAccountKind {
		m["namespace"] = s.Namespace
	} else {
		m["apiGroup"] = rbacv1.GroupName
	}
	return m
}

func anyStrings(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
