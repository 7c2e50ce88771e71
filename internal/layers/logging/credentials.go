package logging

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The copier: how the outputs' credentials reach the tenant's host namespace.
//
// The logging-operator reads an Output's Secrets from the Output's namespace, the tenant's host
// namespace; the claim names them in its own namespace. No composed object may carry them
// between (provider-kubernetes keeps an Object's observed manifest in its status, and
// references[].patchesFrom writes what it copies back into the spec:
// crossplane-contrib/provider-kubernetes#223), so a Job on the Crossplane cluster copies them at
// run time, holding only the rights it needs:
//
//   - on the Crossplane cluster, get on exactly the Secrets the outputs name, in the claim's
//     namespace;
//   - on the host cluster, in the tenant's host namespace, the writing of one Secret,
//     tenant.LogCredentialsSecret, and get on the Role that grants it, which the copied Secret
//     names as its owner: when logging goes off the Role goes, and Kubernetes' garbage collector
//     takes the credentials with it.
//
// It copies only the keys the outputs name, under the names tenant.LogCredential gives them.
// A finished copier is removed after the Input's refresh interval and composed again, so a
// rotated credential arrives on its own.

// Pipeline names of the copier's resources.
const (
	resourceCopierAccount    resource.Name = "logging-copier-sa"
	resourceCopierReader     resource.Name = "logging-copier-reader-role"
	resourceCopierReaderRB   resource.Name = "logging-copier-reader-binding"
	resourceCopierWriter     resource.Name = "logging-copier-writer-role"
	resourceCopierWriterRB   resource.Name = "logging-copier-writer-binding"
	ResourceCopierJob        resource.Name = "logging-copier"
	copierWriterRole                       = "tenant-log-credentials-writer"
	copierHostKubeconfigPath               = "/etc/tenantcluster/host/kubeconfig"
	copierFieldManager                     = "tenantcluster-log-credentials"
)

// CopierScript copies the Secret keys listed in COPIES (lines of "<secret> <key> <host key>")
// from CLAIM_NAMESPACE into the Secret SECRET of HOST_NAMESPACE, owned by the Role OWNER_ROLE,
// by server-side apply (no last-applied annotation repeating the values; keys the outputs no
// longer name go). The values stay in files in $HOME, a memory-backed volume; nothing prints
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

// copier composes the copier for the outputs' credentials: nothing when they name none.
func copier(t *tenant.Tenant, observed compose.Observed) []compose.Desired {
	creds := t.Logging.Credentials
	if len(creds) == 0 {
		return nil
	}
	ns := t.Input.Kubeconfig.SecretNamespace
	account := t.ComposedName("log-credentials")
	settings := t.Input.Logging.Credentials
	secrets := make([]string, 0, len(creds))
	lines := make([]string, 0, len(creds))
	for _, c := range creds {
		secrets = appendUnique(secrets, c.Secret)
		lines = append(lines, c.Secret+" "+c.Key+" "+c.HostKey)
	}
	host := t.Input.Targets.Host.KubernetesProviderConfig
	readerRole := "tenantcluster-log-credentials-" + t.ID
	labels, _ := json.Marshal(t.Labels())
	j := compose.ScriptJob{
		Namespace: ns, Account: account, NamePrefix: t.ID + "-log-credentials",
		Container: "copy", Image: settings.Image, Script: CopierScript,
		Env: []any{
			map[string]any{"name": "CLAIM_NAMESPACE", "value": t.Namespace},
			map[string]any{"name": "HOST_NAMESPACE", "value": t.HostNamespace},
			map[string]any{"name": "SECRET", "value": tenant.LogCredentialsSecret},
			map[string]any{"name": "SECRET_LABELS", "value": string(labels)},
			map[string]any{"name": "OWNER_ROLE", "value": copierWriterRole},
			map[string]any{"name": "FIELD_MANAGER", "value": copierFieldManager},
			map[string]any{"name": "COPIES", "value": strings.Join(lines, "\n")},
		},
		TTLSeconds: settings.RefreshSeconds,
		Labels:     t.Labels(),
	}
	if secret := settings.HostKubeconfigSecret; secret != "" {
		j.Env = append(j.Env, map[string]any{"name": "HOST_KUBECONFIG", "value": copierHostKubeconfigPath})
		j.Mounts = append(j.Mounts, map[string]any{"name": "host", "mountPath": "/etc/tenantcluster/host", "readOnly": true})
		j.Volumes = append(j.Volumes, map[string]any{"name": "host", "secret": map[string]any{"secretName": secret, "items": []any{map[string]any{"key": "kubeconfig", "path": "kubeconfig"}}}})
	}
	self := compose.Subject(nil, account, ns)
	out := []compose.Desired{
		{Name: resourceCopierAccount, Object: compose.CrossplaneObject(t, "log-credentials-sa", map[string]any{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": account, "namespace": ns, "labels": t.Labels()},
		})},
		// In the claim's namespace: the outputs' Secrets and nothing else.
		{Name: resourceCopierReader, Object: compose.CrossplaneObject(t, "log-credentials-reader", compose.Role(readerRole, t.Namespace, t.Labels(),
			compose.GetOnly("", "secrets", secrets...)))},
		{Name: resourceCopierReaderRB, Object: compose.CrossplaneObject(t, "log-credentials-reader-binding", compose.RoleBinding(readerRole, t.Namespace, t.Labels(), readerRole, self))},
		// In the host namespace: the one Secret, and the Role itself, the Secret's owner. Creating
		// cannot be narrowed to a name; it is to this namespace.
		{Name: resourceCopierWriter, Object: compose.Object(t, "log-credentials-writer", host, compose.Role(copierWriterRole, t.HostNamespace, t.Labels(),
			compose.Rule{Resource: "secrets", Verbs: []string{"create"}},
			compose.Rule{Resource: "secrets", Names: []string{tenant.LogCredentialsSecret}, Verbs: []string{"get", "patch", "update"}},
			compose.GetOnly("rbac.authorization.k8s.io", "roles", copierWriterRole)), nil)},
		{Name: resourceCopierWriterRB, Object: compose.Object(t, "log-credentials-writer-binding", host, compose.RoleBinding(copierWriterRole, t.HostNamespace, t.Labels(), copierWriterRole,
			compose.Subject(settings.HostSubject, account, ns)), nil)},
		// The Job counts as Ready: it is the means; the Outputs' state tells whether it worked.
		{Name: ResourceCopierJob, Object: compose.CrossplaneObject(t, "log-credentials", j.Manifest()), Ready: true},
	}
	for i := range out[:len(out)-1] {
		out[i].Ready = compose.IsReady(observed.Get(out[i].Name))
	}
	return out
}

// copierDependencies keep the copier's rights until its Job is gone.
func copierDependencies() []compose.Dependency {
	var deps []compose.Dependency
	for _, of := range []resource.Name{resourceCopierAccount, resourceCopierReader, resourceCopierReaderRB, resourceCopierWriter, resourceCopierWriterRB} {
		deps = append(deps, compose.Dependency{By: ResourceCopierJob, Of: of})
	}
	return deps
}

// appendUnique appends s unless it is there.
func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

// copierProblem reads the observed copier Job: a failed Job's words, naming what the tenant
// must check; "" while it runs or after it succeeded.
func copierProblem(t *tenant.Tenant, observed compose.Observed) string {
	m := compose.ObservedManifest(observed.Get(ResourceCopierJob))
	st, _ := m["status"].(map[string]any)
	conds, _ := st["conditions"].([]any)
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] == "Failed" && cm["status"] == "True" {
			var want []string
			for _, c := range t.Logging.Credentials {
				want = append(want, c.Secret+" (key "+c.Key+")")
			}
			return fmt.Sprintf("the outputs' credentials could not be copied: check that the Secrets %s exist in namespace %s; they are copied again within %d seconds",
				strings.Join(want, ", "), t.Namespace, t.Input.Logging.Credentials.RefreshSeconds)
		}
	}
	return ""
}
