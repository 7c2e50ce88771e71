package layer

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Workload declares pods a layer runs in the tenant's host namespace, either directly (the
// vcluster chart's control plane and etcd) or inside the virtual cluster, whose syncer runs
// every virtual pod as a pod of the host namespace (CoreDNS, Rancher's agents). The
// cross-cutting checks judge these declarations: Pod Security, quota and network policy. A
// declaration states what the pods will be, so where the chart makes them, test/chart holds it
// against the real chart's render.
type Workload struct {
	// Layer is the layer that declared it; the pipeline fills it in.
	Layer string
	// Name says what runs, for the messages of the checks ("control plane", "CoreDNS").
	Name string
	// Replicas is how many such pods run.
	Replicas int32
	// VirtualNamespace is the namespace inside the virtual cluster the pods are created in, or
	// "" for pods the host cluster runs directly. Inside the virtual cluster its own API server
	// judges them at the tenant's level (unless the namespace is exempt) before the host does.
	VirtualNamespace string
	// Labels are the labels of pods the host runs directly (VirtualNamespace ""), which the
	// host namespace's network policies select by; a synced pod carries vcluster's.
	Labels map[string]string
	// Pod is the pods' spec as it will be admitted: images, security contexts, resources,
	// volumes. Containers without resources get the LimitRange's defaults.
	Pod corev1.PodSpec
	// Claims is the storage each replica claims through its volume claim templates.
	Claims []resource.Quantity
	// Services are the Services the workload brings, by type; the quota counts them.
	Services []ServiceCount
	// Egress is the traffic the pods send out of the host namespace that the tenant's network
	// policy must let through: to Rancher, to a log sink, to a federation endpoint. Traffic the
	// chart's own policies allow (the control plane to the host API server, DNS inside the
	// namespace) is not declared.
	Egress []Traffic
}

// ServiceCount is a Service a workload brings: its type and how many ports it has (a
// LoadBalancer counts one load balancer and a node port per port against the quota).
type ServiceCount struct {
	Type  corev1.ServiceType
	Ports int64
}

// Traffic is one flow a workload needs: to a range of addresses on a port.
type Traffic struct {
	// CIDR is the destination range.
	CIDR string
	// Protocol and Port; Port 0 is every port.
	Protocol corev1.Protocol
	Port     int32
	// Why says what the flow is for, in the checks' messages.
	Why string
}
