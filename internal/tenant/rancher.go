package tenant

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// AnnotationRancherProject is Rancher's annotation and label that place a namespace in a project
// (https://ranchermanager.docs.rancher.com/how-to-guides/new-user-guides/manage-clusters/projects-and-namespaces).
const AnnotationRancherProject = "field.cattle.io/projectId"

// principalPattern is the shape of a Rancher principal ID, <provider>_<type>://<id>, the same
// pattern the XRD enforces; it is checked again here because the XRD a claim was admitted under
// may be older than the function.
var principalPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*://[^\s"'\\{}<>$]+( [^\s"'\\{}<>$]+)*$`)

// maxPrincipalLength is the XRD's bound on a principal ID.
const maxPrincipalLength = 256

// Principal is one user or group of a claim's owners or members.
type Principal struct {
	Group bool
	ID    string
}

// RoleBinding is one principal's role on the tenant's cluster or project in Rancher.
type RoleBinding struct {
	Principal
	Role string
}

// Key identifies a binding for its stable name: a different role or principal is a different
// binding (Rancher's bindings cannot be changed, only replaced).
func (b RoleBinding) Key() string {
	kind := "user"
	if b.Group {
		kind = "group"
	}
	return b.Role + "/" + kind + "/" + b.ID
}

// Rancher is the tenant's registration in Rancher, resolved from the claim and the input.
type Rancher struct {
	Enabled bool
	// ClusterBindings and ProjectBindings are the owners' and members' roles, sorted by key.
	ClusterBindings, ProjectBindings []RoleBinding
	// ProjectID is the project (<host cluster>:<project>) the host namespace is placed in, or
	// empty for none.
	ProjectID string
	// CreatedProjectID is the project the function composes for this tenant, or empty.
	CreatedProjectID string
}

// resolveRancher resolves the claim's Rancher owners, members and project against the input.
func (t *Tenant) resolveRancher(spec *v1alpha1.RancherSpec) error {
	r := t.Input.Rancher
	if !r.Enabled {
		if spec != nil {
			t.Warnings = append(t.Warnings, "spec.rancher is ignored: this platform does not register tenants in Rancher")
		}
		// A project created while registration was on stays until the tenant is deleted:
		// Rancher would delete the namespaces still in it. The host namespace leaves it.
		if kept := t.ObservedStatus.Rancher; kept != nil {
			t.Rancher.CreatedProjectID = kept.CreatedProjectID
		}
		return nil
	}
	t.Rancher.Enabled = true
	if spec == nil {
		spec = &v1alpha1.RancherSpec{}
	}
	owners, err := principals("rancher.owners", spec.Owners)
	if err != nil {
		return err
	}
	members, err := principals("rancher.members", spec.Members)
	if err != nil {
		return err
	}
	t.Rancher.ClusterBindings = bindings(owners, r.Roles.ClusterOwner, members, r.Roles.ClusterMember)
	t.Rancher.ProjectBindings = bindings(owners, r.Roles.ProjectOwner, members, r.Roles.ProjectMember)
	return t.resolveProject(spec.Project)
}

// resolveProject decides which project the host namespace joins: an existing one the platform
// opens to the claim's namespace, or one created for the tenant. A project created earlier is
// a fact kept in the XR status: it stays composed while the tenant lives.
func (t *Tenant) resolveProject(p *v1alpha1.RancherProject) error {
	projects := t.Input.Rancher.Projects
	if kept := t.ObservedStatus.Rancher; kept != nil && kept.CreatedProjectID != "" {
		t.Rancher.CreatedProjectID = kept.CreatedProjectID
	}
	if p == nil {
		if projects.Create && t.Rancher.CreatedProjectID == "" {
			t.Rancher.CreatedProjectID = projects.HostClusterID + ":" + createdProjectName(t.ID)
		}
		t.Rancher.ProjectID = t.Rancher.CreatedProjectID
		return nil
	}
	cluster, name, _ := strings.Cut(p.ID, ":")
	open := projects.Existing[t.Namespace]
	switch {
	case len(open) == 0:
		return &FieldError{Field: "rancher.project.id", Message: "this platform opens no existing Rancher project to this namespace; remove the field to get the platform's default placement"}
	case cluster != projects.HostClusterID || !slices.Contains(open, name):
		ids := make([]string, 0, len(open))
		for _, n := range open {
			ids = append(ids, projects.HostClusterID+":"+n)
		}
		return &FieldError{Field: "rancher.project.id", Message: fmt.Sprintf("project %q is not open to this namespace; choose one of %s", p.ID, strings.Join(ids, ", "))}
	}
	t.Rancher.ProjectID = p.ID
	return nil
}

// createdProjectName is the name of the project the function creates for a tenant, in Rancher's
// own style (p-...).
func createdProjectName(id string) string { return "p-" + ShortHash("project/"+id) }

// principals checks a list of claim principals. A principal named twice needs no special case:
// its bindings get the same stable name, so it is composed once.
func principals(field string, in []v1alpha1.RancherPrincipal) ([]Principal, error) {
	out := make([]Principal, 0, len(in))
	for i, p := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		var pr Principal
		switch {
		case p.User != "" && p.Group == "":
			pr = Principal{ID: p.User}
		case p.Group != "" && p.User == "":
			pr = Principal{Group: true, ID: p.Group}
		default:
			return nil, &FieldError{Field: f, Message: "set exactly one of user and group"}
		}
		if len(pr.ID) > maxPrincipalLength || !principalPattern.MatchString(pr.ID) {
			return nil, &FieldError{Field: f, Message: fmt.Sprintf(
				"%q is not a Rancher principal ID; write it as Rancher shows it, e.g. local://u-abcde or keycloakoidc_group://payments", pr.ID)}
		}
		out = append(out, pr)
	}
	return out, nil
}

// bindings gives owners one role and members another, sorted by key so that the output does
// not depend on the claim's order.
func bindings(owners []Principal, ownerRole string, members []Principal, memberRole string) []RoleBinding {
	out := make([]RoleBinding, 0, len(owners)+len(members))
	for _, p := range owners {
		out = append(out, RoleBinding{Principal: p, Role: ownerRole})
	}
	for _, p := range members {
		out = append(out, RoleBinding{Principal: p, Role: memberRole})
	}
	slices.SortFunc(out, func(a, b RoleBinding) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// HostPodSecurity is the Pod Security level enforced on the host namespace. Rancher's cluster
// agent runs there (every pod of the virtual cluster does) and does not meet restricted, so a
// registered tenant that asks for restricted gets baseline enforced on the host (and restricted
// audited and warned there), and restricted enforced by its virtual API server's own Pod Security
// admission (the vcluster layer), with only Rancher's namespaces inside it exempt. The platform's floor is never lowered:
// the input refuses registration under a restricted floor.
func (t *Tenant) HostPodSecurity() v1alpha1.PodSecurityLevel {
	if t.Rancher.Enabled && t.PodSecurity == v1alpha1.PodSecurityRestricted {
		return v1alpha1.PodSecurityBaseline
	}
	return t.PodSecurity
}

// RancherPort is the port Rancher's server URL is reached on.
func (t *Tenant) RancherPort() int64 {
	u, err := url.Parse(t.Input.Rancher.URL)
	if err != nil || u.Port() == "" {
		return 443
	}
	var port int64
	if _, err := fmt.Sscan(u.Port(), &port); err != nil {
		return 443
	}
	return port
}

// RancherURL is Rancher's server URL without a trailing slash.
func (t *Tenant) RancherURL() string { return strings.TrimSuffix(t.Input.Rancher.URL, "/") }

// RancherProviderConfig is the provider-kubernetes ProviderConfig of Rancher's cluster.
func (t *Tenant) RancherProviderConfig() string {
	return t.Input.Targets.Rancher.KubernetesProviderConfig
}

// Rancher's namespaces inside the virtual cluster (its import manifest creates them; its agents
// run there).
const (
	AgentNamespace      = "cattle-system"
	AgentFleetNamespace = "cattle-fleet-system"
)

// VirtualPodSecurityExemptions are the virtual namespaces the tenant's Pod Security level does
// not apply to inside its virtual cluster: Rancher's agents' (cattle-system,
// cattle-fleet-system), when the tenant is registered. Their pods still meet the level the host
// namespace enforces (HostPodSecurity).
func (t *Tenant) VirtualPodSecurityExemptions() []string {
	if !t.Rancher.Enabled {
		return []string{}
	}
	return []string{AgentNamespace, AgentFleetNamespace}
}
