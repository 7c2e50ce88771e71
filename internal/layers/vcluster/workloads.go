package vcluster

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// What the vcluster chart runs in the tenant's host namespace, as the chart (v0.36.1, the
// version the Input defaults to and test/chart renders) makes it from the function's values:
// images, resources and volumes the function does not set are the chart's and vcluster's
// defaults, stated here so that the cross-cutting checks can judge them. test/chart holds every
// declaration against the real chart's render, so a chart upgrade that changes them fails there.
const (
	// The control plane runs the chart's image at the chart's version (its appVersion) ...
	syncerImage = "ghcr.io/loft-sh/vcluster-pro:"
	// ... and an init container that copies the Kubernetes binaries of the tenant's version.
	kubernetesImage = "ghcr.io/loft-sh/kubernetes:"
	// etcd, when the chart deploys it for a highly available control plane.
	etcdImage = "registry.k8s.io/etcd:3.6.8-0"
	// CoreDNS, which the syncer deploys inside the virtual cluster: vcluster's image for the
	// virtual cluster's Kubernetes version (pkg/constants CoreDNSVersionMap), from docker.io.
	coreDNSRegistry     = "docker.io/"
	coreDNSDefaultImage = "coredns/coredns:1.14.2"
	// Volume size of a data store member when the profile names none: the chart's default.
	chartDefaultVolumeSize = "5Gi"
)

// coreDNSImages is vcluster v0.36.1's CoreDNS image by Kubernetes minor version.
var coreDNSImages = map[string]string{
	"1.36": "coredns/coredns:1.14.2",
	"1.35": "coredns/coredns:1.14.1",
	"1.34": "coredns/coredns:1.12.1",
	"1.33": "coredns/coredns:1.12.0",
	"1.32": "coredns/coredns:1.11.3",
	"1.31": "coredns/coredns:1.11.3",
	"1.30": "coredns/coredns:1.11.3",
}

// The chart's and vcluster's default resources of the containers the function does not size,
// and the control plane's, which Helm merges under the profile's (an entry the profile leaves
// out keeps the chart's: the ephemeral storage).
var (
	syncerChartResources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceEphemeralStorage: resource.MustParse("1Gi"), corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi"),
		},
		Limits: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("10Gi"), corev1.ResourceMemory: resource.MustParse("4Gi")},
	}
	kubernetesInitResources = resources("40m", "64Mi", "100m", "256Mi")
	etcdResources           = resources("20m", "150Mi", "", "")
	coreDNSResources        = resources("20m", "64Mi", "1000m", "170Mi")
)

// workloads declares the pods the chart makes from these values: the control plane (a
// StatefulSet with its data volume, or a Deployment beside a deployed etcd), etcd when deployed,
// and CoreDNS inside the virtual cluster.
func workloads(t *tenant.Tenant, v vclusterValues) []layer.Workload {
	cp := v.ControlPlane
	ss := cp.StatefulSet
	replicas := ss.HighAvailability.Replicas
	security := ss.Security
	etcdDeployed := cp.BackingStore != nil && cp.BackingStore.Etcd.Deploy != nil

	volumes := []corev1.Volume{
		emptyDir("helm-cache"), emptyDir("binaries"), emptyDir("tmp"), emptyDir("certs"),
		{Name: "vcluster-config", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "vc-config-" + t.ReleaseName}}},
	}
	var claims []resource.Quantity
	services := []layer.ServiceCount{controlPlaneService(cp)}
	if etcdDeployed {
		// The data lives in etcd; the control plane keeps a scratch directory.
		volumes = append(volumes, emptyDir("data"))
	} else {
		claims = []resource.Quantity{volumeSize(ss.Persistence.VolumeClaim)}
		services = append(services, layer.ServiceCount{Type: corev1.ServiceTypeClusterIP, Ports: 1}) // headless
	}
	volumes = append(volumes, ss.Persistence.AddVolumes...)
	controlPlane := layer.Workload{
		Name:     "control plane",
		Replicas: replicas,
		Pod: corev1.PodSpec{
			SecurityContext: security.PodSecurityContext,
			InitContainers: []corev1.Container{{
				Name: "kubernetes", Image: kubernetesImage + t.ImageTag,
				Resources: kubernetesInitResources, SecurityContext: cp.Distro.K8s.SecurityContext,
			}},
			Containers: []corev1.Container{{
				Name: "syncer", Image: syncerImage + t.Input.VCluster.Chart.Version,
				Resources: corev1.ResourceRequirements{
					Requests: mergedOver(syncerChartResources.Requests, ss.Resources.Requests),
					Limits:   mergedOver(syncerChartResources.Limits, ss.Resources.Limits),
				},
				SecurityContext: security.ContainerSecurityContext,
			}},
			Volumes: volumes,
		},
		Claims:   claims,
		Services: services,
	}
	out := []layer.Workload{controlPlane}

	if etcdDeployed {
		etcd := cp.BackingStore.Etcd.Deploy.StatefulSet
		out = append(out, layer.Workload{
			Name:     "etcd",
			Replicas: etcd.HighAvailability.Replicas,
			Pod: corev1.PodSpec{
				SecurityContext: etcd.Security.PodSecurityContext,
				Containers: []corev1.Container{{
					Name: "etcd", Image: etcdImage, Resources: etcdResources, SecurityContext: etcd.Security.ContainerSecurityContext,
				}},
				Volumes: []corev1.Volume{{Name: "certs", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: t.ReleaseName + "-certs"}}}},
			},
			Claims: []resource.Quantity{volumeSize(etcd.Persistence.VolumeClaim)},
			Services: []layer.ServiceCount{
				{Type: corev1.ServiceTypeClusterIP, Ports: 2}, // headless
				{Type: corev1.ServiceTypeClusterIP, Ports: 2},
			},
		})
	}

	dns := cp.CoreDNS.Security
	image, ok := coreDNSImages[t.KubernetesVersion]
	if !ok {
		image = coreDNSDefaultImage
	}
	out = append(out, layer.Workload{
		Name:             "CoreDNS",
		Replicas:         1,
		VirtualNamespace: "kube-system",
		Pod: corev1.PodSpec{
			SecurityContext: dns.PodSecurityContext,
			Containers: []corev1.Container{{
				Name: "coredns", Image: coreDNSRegistry + image, Resources: coreDNSResources, SecurityContext: dns.ContainerSecurityContext,
			}},
			Volumes: []corev1.Volume{configMapVolume("config-volume", "coredns"), configMapVolume("custom-config-volume", "coredns-custom")},
		},
		// Its kube-dns Service, synced into the host namespace.
		Services: []layer.ServiceCount{{Type: corev1.ServiceTypeClusterIP, Ports: 3}},
	})
	return out
}

// controlPlaneService is the chart's Service in front of the API server: a LoadBalancer with
// one port when exposed that way, else a ClusterIP with two (https and the kubelet's).
func controlPlaneService(cp controlPlaneValues) layer.ServiceCount {
	if cp.Service != nil && cp.Service.Spec.Type == string(corev1.ServiceTypeLoadBalancer) {
		return layer.ServiceCount{Type: corev1.ServiceTypeLoadBalancer, Ports: 1}
	}
	return layer.ServiceCount{Type: corev1.ServiceTypeClusterIP, Ports: 2}
}

func configMapVolume(name, configMap string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: configMap},
	}}}
}

// mergedOver is over merged onto base, as Helm merges a value map over the chart's default.
func mergedOver(base, over corev1.ResourceList) corev1.ResourceList {
	out := base.DeepCopy()
	for k, v := range over {
		out[k] = v.DeepCopy()
	}
	return out
}

func emptyDir(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}

// volumeSize is the storage a data volume claims: the profile's (or the kept one), else the
// chart's default.
func volumeSize(c volumeClaimValues) resource.Quantity {
	if c.Size != "" {
		if q, err := resource.ParseQuantity(c.Size); err == nil {
			return q
		}
	}
	return resource.MustParse(chartDefaultVolumeSize)
}

// resources states a container's requests and limits ("" leaves one out).
func resources(reqCPU, reqMemory, limCPU, limMemory string) corev1.ResourceRequirements {
	list := func(cpu, memory string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if cpu != "" {
			l[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			l[corev1.ResourceMemory] = resource.MustParse(memory)
		}
		if len(l) == 0 {
			return nil
		}
		return l
	}
	return corev1.ResourceRequirements{Requests: list(reqCPU, reqMemory), Limits: list(limCPU, limMemory)}
}
