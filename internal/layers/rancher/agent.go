package rancher

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/layer"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// Rancher's agents, as Rancher's import manifest deploys them inside the virtual cluster; the
// syncer runs them as pods of the tenant's host namespace. Rancher, not the function, writes
// their pods: what is declared here is what the function knows of them. Their images are
// Rancher's at its own version (the tag is Rancher's choice, so only the repository is
// stated); they run without a security context of their own (fn/testdata holds the cluster
// agent's pod), which is why a registered tenant's host namespace enforces baseline
// (tenant.HostPodSecurity); and they get the limit range's default resources unless the
// platform overrides the cluster agent's (rancher.agent.clusterAgent).
const (
	clusterAgentImage = "rancher/rancher-agent"
	fleetAgentImage   = "rancher/fleet-agent"
)

// agentWorkloads declares Rancher's cluster agent and Fleet's agent. Both dial out to Rancher's
// server, which the tenant's network policy must let through.
func agentWorkloads(t *tenant.Tenant) []layer.Workload {
	egress := rancherEgress(t)
	var clusterAgentResources corev1.ResourceRequirements
	if c := t.Input.Rancher.Agent.ClusterAgent; c != nil && c.OverrideResourceRequirements != nil {
		clusterAgentResources = *c.OverrideResourceRequirements.DeepCopy()
	}
	credentials := corev1.Volume{Name: "cattle-credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}}
	return []layer.Workload{
		{
			Name:             "cluster agent",
			Replicas:         1,
			VirtualNamespace: tenant.AgentNamespace,
			Pod: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "cluster-register", Image: clusterAgentImage, Resources: clusterAgentResources}},
				Volumes:    []corev1.Volume{credentials},
			},
			Egress: egress,
		},
		{
			Name:             "Fleet agent",
			Replicas:         1,
			VirtualNamespace: tenant.AgentFleetNamespace,
			Pod: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "fleet-agent", Image: fleetAgentImage}},
			},
			Egress: egress,
		},
	}
}

// rancherEgress is the agents' traffic to Rancher's server: to the addresses the platform names
// (rancher.egressCIDRs) on Rancher's port, or, when it names none, to an address the function
// does not know, which only public egress reaches (CIDR "").
func rancherEgress(t *tenant.Tenant) []layer.Traffic {
	port := int32(t.RancherPort()) //nolint:gosec // a port number
	why := "Rancher's server (" + t.RancherURL() + ")"
	if len(t.Input.Rancher.EgressCIDRs) == 0 {
		return []layer.Traffic{{Protocol: corev1.ProtocolTCP, Port: port, Why: why}}
	}
	out := make([]layer.Traffic, 0, len(t.Input.Rancher.EgressCIDRs))
	for _, c := range t.Input.Rancher.EgressCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil {
			c = p.Masked().String()
		}
		out = append(out, layer.Traffic{CIDR: c, Protocol: corev1.ProtocolTCP, Port: port, Why: why})
	}
	return out
}
