package fn

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Rancher's annotation and label that place a namespace in a project
// (https://ranchermanager.docs.rancher.com/how-to-guides/new-user-guides/manage-clusters/projects-and-namespaces).
const annotationRancherProject = "field.cattle.io/projectId"

// principalPattern is the shape of a Rancher principal ID, <provider>_<type>://<id>, the same
// pattern the XRD enforces; it is checked again here because the XRD a claim was admitted under
// may be older than the function.
var principalPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*://[^\s"'\\{}<>$]+( [^\s"'\\{}<>$]+)*$`)

// maxPrincipalLength is the XRD's bound on a principal ID.
const maxPrincipalLength = 256

// principal is one user or group of a claim's owners or members.
type principal struct {
	group bool
	id    string
}

// roleBinding is one principal's role on the tenant's cluster or project in Rancher.
type roleBinding struct {
	principal
	role string
}

// key identifies a binding for its stable name: a different role or principal is a different
// binding (Rancher's bindings cannot be changed, only replaced).
func (b roleBinding) key() string {
	kind := "user"
	if b.group {
		kind = "group"
	}
	return b.role + "/" + kind + "/" + b.id
}

// rancherTenant is the tenant's registration in Rancher, resolved from the claim and the input.
type rancherTenant struct {
	enabled bool
	// clusterBindings and projectBindings are the owners' and members' roles, sorted by key.
	clusterBindings, projectBindings []roleBinding
	// projectID is the project (<host cluster>:<project>) the host namespace is placed in, or
	// empty for none.
	projectID string
	// createdProjectID is the project the function composes for this tenant, or empty.
	createdProjectID string
}

// resolveRancher resolves the claim's Rancher owners, members and project against the input.
func (t *tenant) resolveRancher(spec *v1alpha1.RancherSpec) error {
	r := t.input.Rancher
	if !r.Enabled {
		if spec != nil {
			t.warnings = append(t.warnings, "spec.rancher is ignored: this platform does not register tenants in Rancher")
		}
		// A project created while registration was on stays until the tenant is deleted:
		// Rancher would delete the namespaces still in it. The host namespace leaves it.
		if kept := t.observedStatus.Rancher; kept != nil {
			t.rancher.createdProjectID = kept.CreatedProjectID
		}
		return nil
	}
	t.rancher.enabled = true
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
	t.rancher.clusterBindings = bindings(owners, r.Roles.ClusterOwner, members, r.Roles.ClusterMember)
	t.rancher.projectBindings = bindings(owners, r.Roles.ProjectOwner, members, r.Roles.ProjectMember)
	return t.resolveProject(spec.Project)
}

// resolveProject decides which project the host namespace joins: an existing one the platform
// opens to the claim's namespace, or one created for the tenant. A project created earlier is
// a fact kept in the XR status: it stays composed while the tenant lives.
func (t *tenant) resolveProject(p *v1alpha1.RancherProject) error {
	projects := t.input.Rancher.Projects
	if kept := t.observedStatus.Rancher; kept != nil && kept.CreatedProjectID != "" {
		t.rancher.createdProjectID = kept.CreatedProjectID
	}
	if p == nil {
		if projects.Create && t.rancher.createdProjectID == "" {
			t.rancher.createdProjectID = projects.HostClusterID + ":" + createdProjectName(t.id)
		}
		t.rancher.projectID = t.rancher.createdProjectID
		return nil
	}
	cluster, name, _ := strings.Cut(p.ID, ":")
	open := projects.Existing[t.namespace]
	switch {
	case len(open) == 0:
		return &fieldError{field: "rancher.project.id", message: "this platform opens no existing Rancher project to this namespace; remove the field to get the platform's default placement"}
	case cluster != projects.HostClusterID || !slices.Contains(open, name):
		ids := make([]string, 0, len(open))
		for _, n := range open {
			ids = append(ids, projects.HostClusterID+":"+n)
		}
		return &fieldError{field: "rancher.project.id", message: fmt.Sprintf("project %q is not open to this namespace; choose one of %s", p.ID, strings.Join(ids, ", "))}
	}
	t.rancher.projectID = p.ID
	return nil
}

// createdProjectName is the name of the project the function creates for a tenant, in Rancher's
// own style (p-...).
func createdProjectName(id string) string { return "p-" + shortHash("project/"+id) }

// principals checks a list of claim principals. A principal named twice needs no special case:
// its bindings get the same stable name, so it is composed once.
func principals(field string, in []v1alpha1.RancherPrincipal) ([]principal, error) {
	out := make([]principal, 0, len(in))
	for i, p := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		var pr principal
		switch {
		case p.User != "" && p.Group == "":
			pr = principal{id: p.User}
		case p.Group != "" && p.User == "":
			pr = principal{group: true, id: p.Group}
		default:
			return nil, &fieldError{field: f, message: "set exactly one of user and group"}
		}
		if len(pr.id) > maxPrincipalLength || !principalPattern.MatchString(pr.id) {
			return nil, &fieldError{field: f, message: fmt.Sprintf(
				"%q is not a Rancher principal ID; write it as Rancher shows it, e.g. local://u-abcde or keycloakoidc_group://payments", pr.id)}
		}
		out = append(out, pr)
	}
	return out, nil
}

// bindings gives owners one role and members another, sorted by key so that the output does
// not depend on the claim's order.
func bindings(owners []principal, ownerRole string, members []principal, memberRole string) []roleBinding {
	out := make([]roleBinding, 0, len(owners)+len(members))
	for _, p := range owners {
		out = append(out, roleBinding{principal: p, role: ownerRole})
	}
	for _, p := range members {
		out = append(out, roleBinding{principal: p, role: memberRole})
	}
	slices.SortFunc(out, func(a, b roleBinding) int { return strings.Compare(a.key(), b.key()) })
	return out
}

// hostPodSecurity is the Pod Security level enforced on the host namespace. Rancher's cluster
// agent runs there (every pod of the virtual cluster does) and does not meet restricted, so a
// registered tenant that asks for restricted gets baseline enforced on the host (and restricted
// audited and warned there), and restricted enforced by its virtual API server's own Pod Security
// admission (virtualpodsecurity.go), with only Rancher's namespaces inside it exempt. The platform's floor is never lowered:
// the input refuses registration under a restricted floor.
func (t *tenant) hostPodSecurity() v1alpha1.PodSecurityLevel {
	if t.rancher.enabled && t.podSecurity == v1alpha1.PodSecurityRestricted {
		return v1alpha1.PodSecurityBaseline
	}
	return t.podSecurity
}

// rancherPort is the port Rancher's server URL is reached on.
func (t *tenant) rancherPort() int64 {
	u, err := url.Parse(t.input.Rancher.URL)
	if err != nil || u.Port() == "" {
		return 443
	}
	var port int64
	if _, err := fmt.Sscan(u.Port(), &port); err != nil {
		return 443
	}
	return port
}
