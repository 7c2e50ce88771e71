package compose

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// A copier: how the credentials a claim names reach the tenant's host namespace.
//
// The logging-operator reads an Output's Secrets, and Alertmanager an AlertmanagerConfig's, from
// the object's own namespace, the tenant's host namespace; the claim names them in its own
// namespace. No composed object may carry them between (provider-kubernetes keeps an Object's
// observed manifest in its status, and references[].patchesFrom writes what it copies back into
// the spec: crossplane-contrib/provider-kubernetes#223), so a Job on the Crossplane cluster
// copies them at run time, holding only the rights it needs:
//
//   - on the Crossplane cluster, get on exactly the Secrets the claim names, in the claim's
//     namespace;
//   - on the host cluster, in the tenant's host namespace, the writing of one Secret and get on
//     the Role that grants it, which the copied Secret names as its owner: when the layer goes
//     off the Role goes, and Kubernetes' garbage collector takes the credentials with it.
//
// It copies only the keys the claim names, under the names tenant.Credential gives them. A
// finished copier is removed after the Input's refresh interval and composed again, so a rotated
// credential arrives on its own. Each layer has a copier of its own, with its own Secret.

// Copier is one layer's copier.
type Copier struct {
	// Layer prefixes the pipeline names of the copier's resources ("logging" →
	// "logging-copier-sa").
	Layer string
	// Suffix names the composed objects, the copier's ServiceAccount and Job ("log-credentials").
	Suffix string
	// Secret is the Secret the copier writes in the host namespace; its writer Role is
	// Secret-writer.
	Secret string
	// Credentials are the keys to copy.
	Credentials []tenant.Credential
	Settings    inputv1beta1.CredentialCopier
}

// CopierScript copies the Secret keys listed in COPIES (lines of "<secret> <key> <host key>")
// from CLAIM_NAMESPACE into the Secret SECRET of HOST_NAMESPACE, owned by the Role OWNER_ROLE,
// by server-side apply (no last-applied annotation repeating the values; keys the claim no
// longer names go). The values stay in files in $HOME, a memory-backed volume; nothing prints
// them. A key that is not there prints nothing ("with"), and the script says which.
const CopierScript = `set -eu
umask 077
host() { if [ -n "${HOST_KUBECONFIG:-}" ]; then kubectl --kubeconfig "$HOST_KUBECONFIG" "$@"; else kubectl "$@"; fi; }
mkdir -p "$HOME/data"
printf '%s\n' "$COPIES" | while read -r secret key target; do
  [ -n "$secret" ] || continue
  kubectl -n "$CLAIM_NAMESPACE" get secret "$secret" -o "go-template={{with .data}}{{with index . \"$key\"}}{{.}}{{end}}{{end}}" > "$HOME/value"
  if [ ! -s "$HOME/value" ]; then echo "Secret $CLAIM_NAMESPACE/$secret has no key $key" >&2; exit 1; fi
  base64 -d < "$HOME/value" > "$HOME/data/$target"
done
rm -f "$HOME/value"
uid=$(host -n "$HOST_NAMESPACE" get role "$OWNER_ROLE" -o "go-template={{.metadata.uid}}")
kubectl create secret generic "$SECRET" -n "$HOST_NAMESPACE" --from-file="$HOME/data" --dry-run=client -o json > "$HOME/secret.json"
kubectl patch --local -f "$HOME/secret.json" --type merge -o json \
  -p "{\"metadata\":{\"labels\":$SECRET_LABELS,\"ownerReferences\":[{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"name\":\"$OWNER_ROLE\",\"uid\":\"$uid\"}]}}" > "$HOME/owned.json"
host apply --server-side --force-conflicts --field-manager="$FIELD_MANAGER" -f "$HOME/owned.json"
`

const copierHostKubeconfigPath = "/etc/tenantcluster/host/kubeconfig"

// Pipeline names of the copier's resources.
func (c Copier) account() resource.Name  { return resource.Name(c.Layer + "-copier-sa") }
func (c Copier) reader() resource.Name   { return resource.Name(c.Layer + "-copier-reader-role") }
func (c Copier) readerRB() resource.Name { return resource.Name(c.Layer + "-copier-reader-binding") }
func (c Copier) writer() resource.Name   { return resource.Name(c.Layer + "-copier-writer-role") }
func (c Copier) writerRB() resource.Name { return resource.Name(c.Layer + "-copier-writer-binding") }

// Job is the pipeline name of the copier's Job.
func (c Copier) Job() resource.Name { return resource.Name(c.Layer + "-copier") }

func (c Copier) writerRole() string { return c.Secret + "-writer" }

// Compose composes the copier, with the dependencies that order its deletion: nothing when the
// claim names no credentials.
func (c Copier) Compose(t *tenant.Tenant, observed Observed) ([]Desired, []Dependency) {
	if len(c.Credentials) == 0 {
		return nil, nil
	}
	ns := t.Input.Kubeconfig.SecretNamespace
	account := t.ComposedName(c.Suffix)
	secrets := make([]string, 0, len(c.Credentials))
	lines := make([]string, 0, len(c.Credentials))
	for _, cred := range c.Credentials {
		if !slices.Contains(secrets, cred.Secret) {
			secrets = append(secrets, cred.Secret)
		}
		lines = append(lines, cred.Secret+" "+cred.Key+" "+cred.HostKey)
	}
	host := t.Input.Targets.Host.KubernetesProviderConfig
	readerRole := "tenantcluster-" + c.Suffix + "-" + t.ID
	labels, _ := json.Marshal(t.Labels())
	j := ScriptJob{
		Namespace: ns, Account: account, NamePrefix: t.ID + "-" + c.Suffix,
		Container: "copy", Image: c.Settings.Image, Script: CopierScript,
		Env: []any{
			map[string]any{"name": "CLAIM_NAMESPACE", "value": t.Namespace},
			map[string]any{"name": "HOST_NAMESPACE", "value": t.HostNamespace},
			map[string]any{"name": "SECRET", "value": c.Secret},
			map[string]any{"name": "SECRET_LABELS", "value": string(labels)},
			map[string]any{"name": "OWNER_ROLE", "value": c.writerRole()},
			map[string]any{"name": "FIELD_MANAGER", "value": "tenantcluster-" + c.Suffix},
			map[string]any{"name": "COPIES", "value": strings.Join(lines, "\n")},
		},
		TTLSeconds: c.Settings.RefreshSeconds,
		Labels:     t.Labels(),
	}
	if secret := c.Settings.HostKubeconfigSecret; secret != "" {
		j.Env = append(j.Env, map[string]any{"name": "HOST_KUBECONFIG", "value": copierHostKubeconfigPath})
		j.Mounts = append(j.Mounts, map[string]any{"name": "host", "mountPath": "/etc/tenantcluster/host", "readOnly": true})
		j.Volumes = append(j.Volumes, map[string]any{"name": "host", "secret": map[string]any{"secretName": secret, "items": []any{map[string]any{"key": "kubeconfig", "path": "kubeconfig"}}}})
	}
	self := Subject(nil, account, ns)
	out := []Desired{
		{Name: c.account(), Object: CrossplaneObject(t, c.Suffix+"-sa", map[string]any{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": account, "namespace": ns, "labels": t.Labels()},
		})},
		// In the claim's namespace: the named Secrets and nothing else.
		{Name: c.reader(), Object: CrossplaneObject(t, c.Suffix+"-reader", Role(readerRole, t.Namespace, t.Labels(),
			GetOnly("", "secrets", secrets...)))},
		{Name: c.readerRB(), Object: CrossplaneObject(t, c.Suffix+"-reader-binding", RoleBinding(readerRole, t.Namespace, t.Labels(), readerRole, self))},
		// In the host namespace: the one Secret, and the Role itself, the Secret's owner. Creating
		// cannot be narrowed to a name; it is to this namespace.
		{Name: c.writer(), Object: Object(t, c.Suffix+"-writer", host, Role(c.writerRole(), t.HostNamespace, t.Labels(),
			Rule{Resource: "secrets", Verbs: []string{"create"}},
			Rule{Resource: "secrets", Names: []string{c.Secret}, Verbs: []string{"get", "patch", "update"}},
			GetOnly("rbac.authorization.k8s.io", "roles", c.writerRole())), nil)},
		{Name: c.writerRB(), Object: Object(t, c.Suffix+"-writer-binding", host, RoleBinding(c.writerRole(), t.HostNamespace, t.Labels(), c.writerRole(),
			Subject(c.Settings.HostSubject, account, ns)), nil)},
		// The Job counts as Ready: it is the means; the layer's objects tell whether it worked.
		{Name: c.Job(), Object: CrossplaneObject(t, c.Suffix, j.Manifest()), Ready: true},
	}
	for i := range out[:len(out)-1] {
		out[i].Ready = IsReady(observed.Get(out[i].Name))
	}
	// The copier's rights stay until its Job is gone; the writer's Role and binding are in the
	// host namespace, which goes after them.
	var deps []Dependency
	for _, of := range []resource.Name{c.account(), c.reader(), c.readerRB(), c.writer(), c.writerRB()} {
		deps = append(deps, Dependency{By: c.Job(), Of: of})
	}
	deps = append(deps, Dependency{By: c.writer(), Of: ResourceNamespace}, Dependency{By: c.writerRB(), Of: ResourceNamespace})
	return out, deps
}

// Problem reads the observed copier Job: a failed Job's words, naming the Secrets the tenant
// must check (what says what they are for: "the outputs' credentials"); "" while it runs or
// after it succeeded.
func (c Copier) Problem(t *tenant.Tenant, observed Observed, what string) string {
	m := ObservedManifest(observed.Get(c.Job()))
	st, _ := m["status"].(map[string]any)
	conds, _ := st["conditions"].([]any)
	for _, cond := range conds {
		cm, _ := cond.(map[string]any)
		if cm["type"] == "Failed" && cm["status"] == "True" {
			want := make([]string, 0, len(c.Credentials))
			for _, cred := range c.Credentials {
				want = append(want, cred.Secret+" (key "+cred.Key+")")
			}
			return fmt.Sprintf("%s could not be copied: check that the Secrets %s exist in namespace %s; they are copied again within %d seconds",
				what, strings.Join(want, ", "), t.Namespace, c.Settings.RefreshSeconds)
		}
	}
	return ""
}
