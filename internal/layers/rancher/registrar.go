package rancher

import (
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// The registrar: how Rancher's import manifest gets into the virtual cluster.
//
// The manifest (Rancher's /v3/import/<token>_<cluster id>.yaml) and the registration token in
// its address are credentials, so no composed resource may hold them: provider-kubernetes keeps
// the whole observed object in an Object's status (a ClusterRegistrationToken's status holds
// the token on Rancher before 2.13.8), references[].patchesFrom writes what it copies back into
// the Object's spec (crossplane-contrib/provider-kubernetes#223), and Crossplane sends every
// composed resource's connection secret to the function. So the token is read at run time by a
// Job on the Crossplane cluster, which holds the two credentials it needs and nothing more:
//
//   - on Rancher's cluster, the right to get exactly this cluster's ClusterRegistrationToken
//     default-token and its token Secret (a Role and RoleBinding the function composes there),
//     as its own ServiceAccount when Crossplane runs on Rancher's cluster, else as the platform's
//     reader (rancher.registrar);
//   - on the Crossplane cluster, the right to get exactly this tenant's kubeconfig Secret.
//
// It fetches the manifest from Rancher and applies it inside the virtual cluster. The token then
// exists on Rancher's cluster, in the Job's memory and inside the virtual cluster (where the
// agent keeps it), never in a spec, a status, a connection secret or a request to this function.
// The Job runs only while the cluster is not connected: once connected, Rancher redeploys its
// agent with a token of its own, which re-applying the import manifest would undo.

// Pipeline names of the registrar.
const (
	resourceRegistrarAccount       resource.Name = "registrar-sa"
	resourceRegistrarKubeconfig    resource.Name = "registrar-kubeconfig-role"
	resourceRegistrarKubeconfigRB  resource.Name = "registrar-kubeconfig-binding"
	resourceRegistrarToken         resource.Name = "registrar-token-role"
	resourceRegistrarTokenRB       resource.Name = "registrar-token-binding"
	resourceRegistrarCA            resource.Name = "registrar-ca"
	ResourceRegistrarJob           resource.Name = "registrar"
	registrarTokenRoleName                       = "tenantcluster-registrar"
	registrarRancherKubeconfigPath               = "/etc/tenantcluster/rancher/kubeconfig"
	registrarCAPath                              = "/etc/tenantcluster/rancher-ca/ca.crt"
)

// The registration token on Rancher's cluster (Rancher's names inside the virtual cluster are
// the tenant model's: tenant.AgentNamespace, tenant.AgentFleetNamespace).
const (
	registrationTokenName   = "default-token"
	registrationTokenSecret = "crt-token-" + registrationTokenName
)

// installerTTLSeconds removes a finished registrar Job after an hour; provider-kubernetes then
// creates it again while the cluster is still not connected, so a failed registration (say,
// before Rancher made the token) is retried without anyone acting, with a fresh token.
const (
	installerTTLSeconds int64 = 3600
	installerRetryText        = "an hour"
)

// RegistrarScript reads the token, fetches the import manifest and applies it. A key that is
// not there prints "<no value>" in kubectl's go-template, so the fallback to the token in the
// ClusterRegistrationToken's status (Rancher before 2.13.8) reads it with "with": on later
// Rancher the status has no token, and the script must say so rather than fetch "<no value>". The token and
// the manifest stay in shell variables and files in $HOME, a memory-backed volume; nothing
// prints them (kubectl apply -f <URL> would print the address, token included, on error; curl -S
// does not).
const RegistrarScript = `set -eu
umask 077
kubectl -n "$KUBECONFIG_NAMESPACE" get secret "$KUBECONFIG_SECRET" -o "go-template={{index .data \"$KUBECONFIG_KEY\"}}" | base64 -d > "$HOME/vcluster.kubeconfig"
if [ ! -s "$HOME/vcluster.kubeconfig" ]; then echo "cannot read the virtual cluster's kubeconfig from Secret $KUBECONFIG_NAMESPACE/$KUBECONFIG_SECRET" >&2; exit 1; fi
rancher() { if [ -n "${RANCHER_KUBECONFIG:-}" ]; then kubectl --kubeconfig "$RANCHER_KUBECONFIG" "$@"; else kubectl "$@"; fi; }
token=$(rancher -n "$CLUSTER_ID" get secret crt-token-default-token -o "go-template={{index .data \"token\"}}" 2>/dev/null | base64 -d) || token=""
if [ -z "$token" ]; then
  token=$(rancher -n "$CLUSTER_ID" get clusterregistrationtokens.management.cattle.io default-token -o "go-template={{with .status}}{{with .token}}{{.}}{{end}}{{end}}")
fi
if [ -z "$token" ]; then echo "Rancher has no registration token for cluster $CLUSTER_ID yet" >&2; exit 1; fi
curl -fsS ${RANCHER_CA:+--cacert "$RANCHER_CA"} -o "$HOME/import.yaml" "$RANCHER_URL/v3/import/${token}_${CLUSTER_ID}.yaml"
kubectl --kubeconfig "$HOME/vcluster.kubeconfig" apply -f "$HOME/import.yaml"
`

// registrar composes the registrar for a cluster Rancher has created: its identity and rights on
// both clusters, and, while the cluster is not connected, the Job. job is the Job's name
// ("" when it is not composed).
func registrar(t *tenant.Tenant, f rancherFacts, observed compose.Observed) (resources []compose.Desired, job string) {
	ready := func(name resource.Name) bool { return compose.IsReady(observed.Get(name)) }
	ns := t.Input.Kubeconfig.SecretNamespace
	account := t.ComposedName("rancher-registrar")
	kubeconfig := t.ConnectionSecretRef()
	subject := compose.Subject(t.Input.Rancher.Registrar.RancherSubject, account, ns)
	out := []compose.Desired{
		{Name: resourceRegistrarAccount, Object: compose.CrossplaneObject(t, "registrar-sa", map[string]any{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": account, "namespace": ns, "labels": t.Labels()},
		}), Ready: ready(resourceRegistrarAccount)},
		{Name: resourceRegistrarKubeconfig, Object: compose.CrossplaneObject(t, "registrar-kubeconfig-role", compose.Role(account, kubeconfig.Namespace, t.Labels(), compose.GetOnly("", "secrets", kubeconfig.Name))), Ready: ready(resourceRegistrarKubeconfig)},
		{Name: resourceRegistrarKubeconfigRB, Object: compose.CrossplaneObject(t, "registrar-kubeconfig-binding", compose.RoleBinding(account, kubeconfig.Namespace, t.Labels(), account,
			compose.Subject(nil, account, ns))), Ready: ready(resourceRegistrarKubeconfigRB)},
		// On Rancher's cluster, in the cluster's own namespace: the token and nothing else.
		{Name: resourceRegistrarToken, Object: compose.Object(t, "registrar-token-role", t.RancherProviderConfig(),
			compose.Role(registrarTokenRoleName, f.clusterID, t.Labels(),
				compose.GetOnly("management.cattle.io", "clusterregistrationtokens", registrationTokenName),
				compose.GetOnly("", "secrets", registrationTokenSecret)), nil), Ready: ready(resourceRegistrarToken)},
		{Name: resourceRegistrarTokenRB, Object: compose.Object(t, "registrar-token-binding", t.RancherProviderConfig(),
			compose.RoleBinding(registrarTokenRoleName, f.clusterID, t.Labels(), registrarTokenRoleName, subject), nil), Ready: ready(resourceRegistrarTokenRB)},
	}
	if ca := t.Input.Rancher.CABundle; ca != "" {
		out = append(out, compose.Desired{Name: resourceRegistrarCA, Object: compose.CrossplaneObject(t, "registrar-ca", map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": t.ComposedName("rancher-ca"), "namespace": ns, "labels": t.Labels()},
			"data":     map[string]any{"ca.crt": ca},
		}), Ready: ready(resourceRegistrarCA)})
	}
	if f.stillConnected() {
		return out, ""
	}
	manifest := registrarJob(t, f, account, kubeconfig.Namespace, kubeconfig.Name)
	// The Job counts as Ready: it is the means, the cluster's Connected condition the end.
	out = append(out, compose.Desired{Name: ResourceRegistrarJob, Object: compose.CrossplaneObject(t, "registrar", manifest), Ready: true})
	name, _ := manifest["metadata"].(map[string]any)["name"].(string)
	return out, name
}

// registrarJob is the Job.
func registrarJob(t *tenant.Tenant, f rancherFacts, account, kubeconfigNamespace, kubeconfigSecret string) map[string]any {
	j := compose.ScriptJob{
		Namespace: t.Input.Kubeconfig.SecretNamespace, Account: account, NamePrefix: t.ID + "-register",
		Container: "register", Image: t.Input.Rancher.Agent.InstallerImage, Script: RegistrarScript,
		Env: []any{
			map[string]any{"name": "RANCHER_URL", "value": t.RancherURL()},
			map[string]any{"name": "CLUSTER_ID", "value": f.clusterID},
			map[string]any{"name": "KUBECONFIG_NAMESPACE", "value": kubeconfigNamespace},
			map[string]any{"name": "KUBECONFIG_SECRET", "value": kubeconfigSecret},
			map[string]any{"name": "KUBECONFIG_KEY", "value": t.ProviderConfigKey()},
		},
		TTLSeconds: installerTTLSeconds,
		Labels:     t.Labels(),
	}
	if secret := t.Input.Rancher.Registrar.RancherKubeconfigSecret; secret != "" {
		j.Env = append(j.Env, map[string]any{"name": "RANCHER_KUBECONFIG", "value": registrarRancherKubeconfigPath})
		j.Mounts = append(j.Mounts, map[string]any{"name": "rancher", "mountPath": "/etc/tenantcluster/rancher", "readOnly": true})
		j.Volumes = append(j.Volumes, map[string]any{"name": "rancher", "secret": map[string]any{"secretName": secret, "items": []any{map[string]any{"key": "kubeconfig", "path": "kubeconfig"}}}})
	}
	if t.Input.Rancher.CABundle != "" {
		j.Env = append(j.Env, map[string]any{"name": "RANCHER_CA", "value": registrarCAPath})
		j.Mounts = append(j.Mounts, map[string]any{"name": "rancher-ca", "mountPath": "/etc/tenantcluster/rancher-ca", "readOnly": true})
		j.Volumes = append(j.Volumes, map[string]any{"name": "rancher-ca", "configMap": map[string]any{"name": t.ComposedName("rancher-ca")}})
	}
	return j.Manifest()
}
