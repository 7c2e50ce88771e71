package v1beta1

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// RancherSettings configures how tenants' virtual clusters are registered in Rancher: as
// imported clusters, owned there by the people each claim names.
type RancherSettings struct {
	// Enabled registers every tenant's virtual cluster in Rancher. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// URL is Rancher's server URL (its server-url setting), e.g. https://rancher.example.com.
	// Required when enabled: the tenant's link to its cluster and, from Rancher 2.15, the
	// import manifest's address are made from it.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^https://[^/?#\s]+$`
	URL string `json:"url,omitempty"`

	// CABundle is the PEM certificate bundle of the CA that signed Rancher's certificate, when
	// it is not publicly trusted. The agent installer verifies Rancher with it; there is no
	// insecure mode.
	// +optional
	CABundle string `json:"caBundle,omitempty"`

	// EgressCIDRs are the addresses Rancher's server is reached at (its ingress or load
	// balancer). Every registered tenant's workloads may reach them on Rancher's port, so that
	// the agent connects even when the tenant has no public egress.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	EgressCIDRs []string `json:"egressCIDRs,omitempty"`

	// FleetWorkspace is the namespace of Rancher's provisioning Clusters. Default:
	// fleet-default.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	FleetWorkspace string `json:"fleetWorkspace,omitempty"`

	// Agent configures Rancher's cluster agent in each virtual cluster and the Job that
	// installs it.
	// +optional
	Agent RancherAgent `json:"agent,omitempty"`

	// Roles are the Rancher role templates given to a claim's owners and members.
	// +optional
	Roles RancherRoles `json:"roles,omitempty"`

	// Projects places each tenant's host namespace in a Rancher project of the host cluster.
	// +optional
	Projects RancherProjects `json:"projects,omitempty"`

	// Registrar is how the Job that registers each virtual cluster reads its registration
	// token on Rancher's cluster.
	// +optional
	Registrar RancherRegistrar `json:"registrar,omitempty"`
}

// RancherRegistrar is the identity with which each tenant's registrar Job reads that tenant's
// registration token on Rancher's cluster. The function grants it exactly that: get on the
// cluster's ClusterRegistrationToken default-token and its token Secret, in the cluster's
// namespace. With neither field set, Crossplane runs on Rancher's cluster and the Job reads
// with its own ServiceAccount.
type RancherRegistrar struct {
	// RancherKubeconfigSecret is a Secret in kubeconfig.secretNamespace on the Crossplane
	// cluster, key "kubeconfig", that reaches Rancher's cluster as RancherSubject. Needed when
	// Crossplane does not run on Rancher's cluster. Keep it in the platform's namespace: it
	// can read every registered tenant's token.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RancherKubeconfigSecret string `json:"rancherKubeconfigSecret,omitempty"`

	// RancherSubject is the identity of that kubeconfig on Rancher's cluster (a User, Group or
	// ServiceAccount), bound per tenant to read that tenant's token only.
	// +optional
	RancherSubject *rbacv1.Subject `json:"rancherSubject,omitempty"`
}

// RancherAgent configures Rancher's cluster agent and its installer.
type RancherAgent struct {
	// InstallerImage is the image of the registrar Job, which reads the tenant's registration
	// token on Rancher's cluster, fetches Rancher's import manifest and applies it inside the
	// virtual cluster: it needs sh, kubectl, curl and base64. Pin it exactly (tag or digest).
	// Default: docker.io/alpine/k8s:1.34.2.
	// +optional
	InstallerImage string `json:"installerImage,omitempty"`

	// EnvVars are set on Rancher's cluster agent, for example HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY.
	// +optional
	EnvVars []EnvVar `json:"envVars,omitempty"`

	// ClusterAgent customises the cluster agent's Deployment.
	// +optional
	ClusterAgent *AgentDeploymentCustomization `json:"clusterAgent,omitempty"`
}

// EnvVar is one environment variable.
type EnvVar struct {
	// Name of the variable.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Value of the variable.
	// +optional
	Value string `json:"value,omitempty"`
}

// AgentDeploymentCustomization is Rancher's customisation of its cluster agent's Deployment
// (the provisioning Cluster's spec.clusterAgentDeploymentCustomization).
type AgentDeploymentCustomization struct {
	// OverrideResourceRequirements replaces the agent's resources.
	// +optional
	OverrideResourceRequirements *corev1.ResourceRequirements `json:"overrideResourceRequirements,omitempty"`
	// AppendTolerations are added to the agent's tolerations.
	// +optional
	AppendTolerations []corev1.Toleration `json:"appendTolerations,omitempty"`
	// OverrideAffinity replaces the agent's affinity.
	// +optional
	OverrideAffinity *corev1.Affinity `json:"overrideAffinity,omitempty"`
}

// RancherRoles names the role templates of owners and members.
type RancherRoles struct {
	// ClusterOwner is given to a claim's owners on its cluster. Default: cluster-owner.
	// +optional
	ClusterOwner string `json:"clusterOwner,omitempty"`
	// ClusterMember is given to a claim's members on its cluster. Default: cluster-member.
	// +optional
	ClusterMember string `json:"clusterMember,omitempty"`
	// ProjectOwner is given to a claim's owners on the project the function creates for it.
	// Default: project-owner.
	// +optional
	ProjectOwner string `json:"projectOwner,omitempty"`
	// ProjectMember is given to a claim's members on that project. Default: project-member.
	// +optional
	ProjectMember string `json:"projectMember,omitempty"`
}

// RancherProjects places host namespaces in Rancher projects of the host cluster. A project
// groups namespaces for Rancher's access control, quotas and network isolation, so joining an
// existing project is something the platform grants, never something a claim takes.
type RancherProjects struct {
	// HostClusterID is the Rancher ID of the host cluster ("local" when Rancher runs on it, else
	// c-m-...). Required when projects are created or may be joined.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	HostClusterID string `json:"hostClusterId,omitempty"`

	// Create gives every tenant that names no project a project of its own on the host
	// cluster, with its owners and members bound to it. Default: false.
	// +optional
	Create bool `json:"create,omitempty"`

	// Existing lists, by claim namespace, the existing projects (names like p-abcde) a claim
	// from that namespace may join with spec.rancher.project.
	// +optional
	Existing map[string][]string `json:"existing,omitempty"`
}

// Defaults of the Rancher settings.
const (
	DefaultFleetWorkspace = "fleet-default"
	// DefaultInstallerImage is kubectl of the Kubernetes release the project is built and tested
	// against; kubectl applies the import manifest of any supported Rancher.
	DefaultInstallerImage = "docker.io/alpine/k8s:1.34.2"
	DefaultClusterOwner   = "cluster-owner"
	DefaultClusterMember  = "cluster-member"
	DefaultProjectOwner   = "project-owner"
	DefaultProjectMember  = "project-member"
)

// defaultRancher fills in the Rancher settings' defaults.
func (in *Input) defaultRancher() {
	if in.Targets.Rancher.KubernetesProviderConfig == "" {
		in.Targets.Rancher.KubernetesProviderConfig = DefaultProviderConfig
	}
	if in.Targets.Crossplane.KubernetesProviderConfig == "" {
		in.Targets.Crossplane.KubernetesProviderConfig = DefaultProviderConfig
	}
	r := &in.Rancher
	if r.FleetWorkspace == "" {
		r.FleetWorkspace = DefaultFleetWorkspace
	}
	if r.Agent.InstallerImage == "" {
		r.Agent.InstallerImage = DefaultInstallerImage
	}
	for _, d := range []struct {
		field *string
		value string
	}{
		{&r.Roles.ClusterOwner, DefaultClusterOwner},
		{&r.Roles.ClusterMember, DefaultClusterMember},
		{&r.Roles.ProjectOwner, DefaultProjectOwner},
		{&r.Roles.ProjectMember, DefaultProjectMember},
	} {
		if *d.field == "" {
			*d.field = d.value
		}
	}
}

// validateRancher checks the Rancher settings of a defaulted Input.
func (in *Input) validateRancher() error {
	r := in.Rancher
	if !r.Enabled {
		return nil
	}
	if r.URL == "" {
		return errors.New("input rancher.url is required when rancher.enabled is true: set Rancher's server URL, e.g. https://rancher.example.com")
	}
	if u, err := url.Parse(r.URL); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("input rancher.url %q must be Rancher's https server URL without a path, e.g. https://rancher.example.com", r.URL)
	}
	if r.CABundle != "" {
		if err := validatePEMCertificates(r.CABundle); err != nil {
			return fmt.Errorf("input rancher.caBundle: %w", err)
		}
	}
	if err := validateCIDRs("rancher.egressCIDRs", r.EgressCIDRs); err != nil {
		return err
	}
	if errs := validation.IsDNS1123Label(r.FleetWorkspace); len(errs) > 0 {
		return fmt.Errorf("input rancher.fleetWorkspace %q is not a namespace name: %s", r.FleetWorkspace, strings.Join(errs, "; "))
	}
	if !pinnedImage(r.Agent.InstallerImage) {
		return fmt.Errorf("input rancher.agent.installerImage %q must be pinned to an exact tag or digest, e.g. %s", r.Agent.InstallerImage, DefaultInstallerImage)
	}
	for i, e := range r.Agent.EnvVars {
		if errs := validation.IsEnvVarName(e.Name); len(errs) > 0 {
			return fmt.Errorf("input rancher.agent.envVars[%d].name %q: %s", i, e.Name, strings.Join(errs, "; "))
		}
	}
	if err := validateSubject("rancher.registrar", "rancherKubeconfigSecret", "rancherSubject", "Rancher's cluster",
		r.Registrar.RancherKubeconfigSecret, r.Registrar.RancherSubject); err != nil {
		return err
	}
	if PodSecurityRank(in.Policy.PodSecurityFloor) > PodSecurityRank("baseline") {
		return errors.New("input rancher.enabled needs policy.podSecurityFloor baseline or lower: Rancher's cluster agent runs in the tenant's host namespace " +
			"and does not meet restricted (a tenant that asks for restricted still gets it, enforced inside its virtual cluster)")
	}
	return r.Projects.validate()
}

// validate checks the project settings.
func (p RancherProjects) validate() error {
	if !p.Create && len(p.Existing) == 0 {
		return nil
	}
	if errs := validation.IsDNS1123Label(p.HostClusterID); len(errs) > 0 {
		return fmt.Errorf("input rancher.projects.hostClusterId %q must be the host cluster's Rancher ID (local, or c-m-...) when projects are created or joined", p.HostClusterID)
	}
	for _, ns := range slices.Sorted(maps.Keys(p.Existing)) {
		for i, name := range p.Existing[ns] {
			if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
				return fmt.Errorf("input rancher.projects.existing[%s][%d] %q must be a project name like p-abcde", ns, i, name)
			}
		}
	}
	return nil
}

// validatePEMCertificates checks that s holds one or more PEM certificates and nothing else.
func validatePEMCertificates(s string) error {
	rest := []byte(s)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a %q PEM block; only certificates belong here", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %w", n+1, err)
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return errors.New("must be PEM certificates (-----BEGIN CERTIFICATE----- ...)")
	}
	return nil
}

// pinnedImage reports whether an image reference names an exact tag or digest.
func pinnedImage(ref string) bool {
	if strings.ContainsAny(ref, " \t\n") || ref == "" {
		return false
	}
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	i := strings.LastIndex(name, ":")
	return i > 0 && i < len(name)-1 && name[i+1:] != "latest"
}
