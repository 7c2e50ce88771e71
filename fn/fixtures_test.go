package fn

import (
	"strconv"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// restrictedSecurityYAML is what the control plane and CoreDNS always run with.
const restrictedSecurityYAML = restrictedPodSecurityYAML + `
            containerSecurityContext:
              allowPrivilegeEscalation: false
              capabilities: {drop: [ALL]}
              runAsGroup: 12345
              runAsNonRoot: true
              runAsUser: 12345
              seccompProfile: {type: RuntimeDefault}`

// coreDNSSecurityYAML is restrictedSecurityYAML with vcluster's read-only root file system kept.
const coreDNSSecurityYAML = restrictedSecurityYAML + `
              readOnlyRootFilesystem: true`

// restrictedPodSecurityYAML is the pod security context of restrictedSecurityYAML.
const restrictedPodSecurityYAML = `
            podSecurityContext:
              fsGroup: 12345
              runAsGroup: 12345
              runAsNonRoot: true
              runAsUser: 12345
              seccompProfile: {type: RuntimeDefault}`

// wantRelease is the Release of the claim team-a/dev under the default Input: the small
// profile, restricted Pod Security, public egress, not exposed.
const wantRelease = `
apiVersion: helm.crossplane.io/v1beta1
kind: Release
metadata:
  name: team-a-dev-c553f163-vcluster
  annotations: {crossplane.io/external-name: dev}
  labels:` + devLabels + `
spec:
  providerConfigRef: {name: default}
  rollbackLimit: 3
  connectionDetails:
  - apiVersion: v1
    kind: Secret
    name: vc-dev-internal
    namespace: tenant-team-a-dev-c553f163
    fieldPath: data.config
    toConnectionSecretKey: kubeconfig
    skipPartOfReleaseCheck: true
  writeConnectionSecretToRef: {name: team-a-dev-c553f163-kubeconfig, namespace: crossplane-system}
  forProvider:
    chart: {repository: https://charts.loft.sh, name: vcluster, version: 0.36.1}
    namespace: tenant-team-a-dev-c553f163
    skipCreateNamespace: true
    maxHistory: 3
    values:
      controlPlane:
        distro:
          k8s:
            enabled: true
            image: {tag: v1.36.0}
            securityContext:
              allowPrivilegeEscalation: false
              capabilities: {drop: [ALL]}
              runAsGroup: 12345
              runAsNonRoot: true
              runAsUser: 12345
              seccompProfile: {type: RuntimeDefault}
            apiServer:
              extraArgs: [--admission-control-config-file=/etc/tenantcluster/pod-security/admission.yaml]
        proxy:
          extraSANs: [dev.tenant-team-a-dev-c553f163.svc]
        statefulSet:
          highAvailability: {replicas: 1}
          persistence:
            volumeClaim: {size: 5Gi, retentionPolicy: Retain}
            addVolumes: [{name: tenantcluster-pod-security, configMap: {name: dev-pod-security}}]
            addVolumeMounts: [{name: tenantcluster-pod-security, mountPath: /etc/tenantcluster/pod-security, readOnly: true}]
          resources:
            requests: {cpu: 200m, memory: 256Mi}
            limits: {cpu: "1", memory: 1Gi}
          security:` + restrictedSecurityYAML + `
        coredns:
          security:` + coreDNSSecurityYAML + `
      experimental:
        deploy:
          host:
            manifests: |
              apiVersion: v1
              data:
                admission.yaml: |
                  apiVersion: apiserver.config.k8s.io/v1
                  kind: AdmissionConfiguration
                  plugins:
                  - configuration:
                      apiVersion: pod-security.admission.config.k8s.io/v1
                      defaults:
                        audit: restricted
                        audit-version: latest
                        enforce: restricted
                        enforce-version: latest
                        warn: restricted
                        warn-version: latest
                      exemptions:
                        namespaces: []
                        runtimeClasses: []
                        usernames: []
                      kind: PodSecurityConfiguration
                    name: PodSecurity
              kind: ConfigMap
              metadata:
                labels:
                  app.kubernetes.io/managed-by: function-tenantcluster
                  tenantcluster.io/tenant: team-a-dev-c553f163
                name: dev-pod-security
                namespace: tenant-team-a-dev-c553f163
      exportKubeConfig:
        additionalSecrets:
        - name: vc-dev-internal
          namespace: tenant-team-a-dev-c553f163
          server: https://dev.tenant-team-a-dev-c553f163.svc:443
          context: dev
      policies:
        resourceQuota:
          enabled: true
          quota:
            requests.cpu: "4"
            requests.memory: 8Gi
            limits.cpu: "8"
            limits.memory: 16Gi
            requests.ephemeral-storage: 20Gi
            limits.ephemeral-storage: 40Gi
            requests.storage: 50Gi
            count/persistentvolumeclaims: "10"
            count/pods: "50"
            count/services: "20"
            count/configmaps: "100"
            count/secrets: "100"
            count/endpoints: "40"
            services.loadbalancers: "0"
            services.nodeports: "0"
        limitRange:
          enabled: true
          default: {cpu: 500m, memory: 512Mi, ephemeral-storage: 4Gi}
          defaultRequest: {cpu: 100m, memory: 128Mi, ephemeral-storage: 1Gi}
          max: {cpu: "2", memory: 4Gi}
        networkPolicy:
          enabled: true
          workload:
            publicEgress:
              enabled: true
              cidr: 0.0.0.0/0
              except: [10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16]
`

// wantProviderConfig is one of the tenant target's ProviderConfigs of the claim team-a/dev.
func wantProviderConfig(apiVersion string) string {
	return `
apiVersion: ` + apiVersion + `
kind: ProviderConfig
metadata:
  name: team-a-dev-c553f163-tenant
  labels:` + devLabels + `
spec:
  credentials:
    source: Secret
    secretRef: {namespace: crossplane-system, name: team-a-dev-c553f163-kubeconfig, key: kubeconfig}
`
}

// wantUsage is the ClusterUsage named after its consumer, protecting what it uses.
func wantUsage(consumer, byAPIVersion, byKind, byName, ofAPIVersion, ofKind, ofName string) string {
	return `
apiVersion: protection.crossplane.io/v1beta1
kind: ClusterUsage
metadata:
  name: team-a-dev-c553f163-usage-` + consumer + `
  labels:` + devLabels + `
spec:
  of: {apiVersion: ` + ofAPIVersion + `, kind: ` + ofKind + `, resourceRef: {name: ` + ofName + `}}
  by: {apiVersion: ` + byAPIVersion + `, kind: ` + byKind + `, resourceRef: {name: ` + byName + `}}
  replayDeletion: true
`
}

var (
	wantUsageVCluster = wantUsage("vcluster", "helm.crossplane.io/v1beta1", "Release", "team-a-dev-c553f163-vcluster",
		"kubernetes.crossplane.io/v1alpha2", "Object", "team-a-dev-c553f163-namespace")
	wantUsageTenantK8s = wantUsage("tenant-k8s", "kubernetes.crossplane.io/v1alpha1", "ProviderConfig", "team-a-dev-c553f163-tenant",
		"helm.crossplane.io/v1beta1", "Release", "team-a-dev-c553f163-vcluster")
	wantUsageTenantHelm = wantUsage("tenant-helm", "helm.crossplane.io/v1beta1", "ProviderConfig", "team-a-dev-c553f163-tenant",
		"helm.crossplane.io/v1beta1", "Release", "team-a-dev-c553f163-vcluster")
)

// xrStatus is the XR status of the claim team-a/dev under the default Input.
func xrStatus(phase string, revision int, targetReady bool) string {
	rev := ""
	if revision > 0 {
		rev = "\n    revision: " + strconv.Itoa(revision)
	}
	ready := ""
	if targetReady {
		ready = "\n    ready: true"
	}
	return `
status:
  phase: ` + phase + `
  tenantTarget:
    providerConfig: team-a-dev-c553f163-tenant` + ready + `
  vcluster:
    namespace: tenant-team-a-dev-c553f163
    release: dev
    endpoint: https://dev.tenant-team-a-dev-c553f163.svc:443
    internalEndpoint: https://dev.tenant-team-a-dev-c553f163.svc:443
    kubernetesVersion: "1.36"
    chartVersion: 0.36.1
    backingStore: sqlite` + rev + `
`
}

// namespacedDevResources are the desired resources of the namespaced XR team-a/dev: the same as
// the claim's, in the namespaced API flavour and the XR's namespace.
func namespacedDevResources(t *testing.T) map[string]*fnv1.Resource {
	t.Helper()
	const (
		k8s, k8sM   = "kubernetes.crossplane.io/v1alpha2", "kubernetes.m.crossplane.io/v1alpha1"
		helm, helmM = "helm.crossplane.io/v1beta1", "helm.m.crossplane.io/v1beta1"
	)
	release := strings.Replace(namespaced(wantRelease, helm, helmM),
		"writeConnectionSecretToRef: {name: team-a-dev-c553f163-kubeconfig, namespace: crossplane-system}",
		"writeConnectionSecretToRef: {name: dev-kubeconfig}", 1)
	pc := func(legacy, apiVersion string) string {
		doc := namespaced(wantProviderConfig(legacy), legacy, apiVersion)
		return strings.Replace(doc, "{namespace: crossplane-system, name: team-a-dev-c553f163-kubeconfig, key: kubeconfig}",
			"{namespace: team-a, name: dev-kubeconfig, key: kubeconfig}", 1)
	}
	usage := func(doc string) string {
		doc = strings.Replace(doc, "kind: ClusterUsage", "kind: Usage", 1)
		doc = strings.Replace(doc, "\nmetadata:\n", "\nmetadata:\n  namespace: team-a\n", 1)
		for _, r := range [][2]string{{k8s, k8sM}, {helm, helmM}, {"kubernetes.crossplane.io/v1alpha1", "kubernetes.m.crossplane.io/v1alpha1"}} {
			doc = strings.ReplaceAll(doc, "apiVersion: "+r[0]+",", "apiVersion: "+r[1]+",")
		}
		return doc
	}
	return map[string]*fnv1.Resource{
		"namespace":         readyRes(t, namespaced(wantNamespaceObject, k8s, k8sM), false),
		"vcluster":          readyRes(t, release, false),
		"tenant-k8s":        readyRes(t, pc("kubernetes.crossplane.io/v1alpha1", k8sM), false),
		"tenant-helm":       readyRes(t, pc(helm, helmM), false),
		"usage-vcluster":    readyRes(t, usage(wantUsageVCluster), false),
		"usage-tenant-k8s":  readyRes(t, usage(wantUsageTenantK8s), false),
		"usage-tenant-helm": readyRes(t, usage(wantUsageTenantHelm), false),
	}
}
