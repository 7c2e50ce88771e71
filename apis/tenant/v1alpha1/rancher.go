package v1alpha1

// RancherSpec names the people who own and use the virtual cluster in Rancher.
type RancherSpec struct {
	// Owners get Rancher's cluster-owner role on the virtual cluster (and project-owner on a
	// project the platform creates for it).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Owners []RancherPrincipal `json:"owners,omitempty"`

	// Members get Rancher's cluster-member role on the virtual cluster (and project-member on
	// a project the platform creates for it).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Members []RancherPrincipal `json:"members,omitempty"`

	// Project places the tenant's host namespace in an existing Rancher project of the host
	// cluster. Only projects the platform opens to the claim's namespace can be joined; empty
	// means the platform's choice (a project of the tenant's own, or none).
	// +optional
	Project *RancherProject `json:"project,omitempty"`
}

// RancherPrincipal is one user or group, by its Rancher principal ID, for example
// "local://u-abcde", "github_user://1234", "keycloakoidc_group://payments" or
// "activedirectory_group://CN=Payments,OU=Groups,DC=example,DC=com".
// +kubebuilder:validation:XValidation:rule="has(self.user) != has(self.group)",message="set exactly one of user and group"
type RancherPrincipal struct {
	// User is a user's principal ID.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*://[^\s"'\\{}<>$]+( [^\s"'\\{}<>$]+)*$`
	User string `json:"user,omitempty"`
	// Group is a group's principal ID.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*://[^\s"'\\{}<>$]+( [^\s"'\\{}<>$]+)*$`
	Group string `json:"group,omitempty"`
}

// RancherProject names an existing Rancher project.
type RancherProject struct {
	// ID is the project's ID as Rancher shows it, <cluster ID>:<project name>, e.g.
	// local:p-abcde. The cluster must be the host cluster.
	// +kubebuilder:validation:MaxLength=127
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	ID string `json:"id"`
}

// RancherStatus is the virtual cluster's registration in Rancher.
type RancherStatus struct {
	// ClusterName is the provisioning Cluster in Rancher's fleet workspace.
	ClusterName string `json:"clusterName,omitempty"`
	// ClusterID is Rancher's ID of the cluster (c-m-...), once Rancher has created it.
	ClusterID string `json:"clusterId,omitempty"`
	// Registered is true once Rancher has created the cluster, so that it can be registered.
	Registered bool `json:"registered,omitempty"`
	// Connected is true while Rancher's agent in the virtual cluster is connected to Rancher.
	Connected bool `json:"connected,omitempty"`
	// URL opens the cluster in Rancher's dashboard.
	URL string `json:"url,omitempty"`
	// ProjectID is the Rancher project (<cluster>:<project>) the host namespace is in.
	ProjectID string `json:"projectId,omitempty"`
	// CreatedProjectID is the project the platform created for this tenant. It is kept until
	// the tenant is deleted, even when the host namespace moves to another project: deleting a
	// Rancher project deletes the namespaces still in it.
	CreatedProjectID string `json:"createdProjectId,omitempty"`
	// CreatedProjectNamespace is that project's backing namespace on Rancher's cluster, where
	// its role bindings live, once Rancher has reported it.
	CreatedProjectNamespace string `json:"createdProjectNamespace,omitempty"`
}
