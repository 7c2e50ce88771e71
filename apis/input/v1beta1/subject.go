package v1beta1

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateSubject checks a kubeconfig Secret and the identity it carries on another cluster,
// which a Job on the Crossplane cluster uses when Crossplane does not run on that cluster (the
// Rancher registrar, the log credentials copier): both or neither.
func validateSubject(prefix, secretField, subjectField, cluster, secret string, subject *rbacv1.Subject) error {
	if (secret == "") != (subject == nil) {
		return fmt.Errorf("input %s.%s and %s go together: set both when Crossplane does not run on %s, neither when it does", prefix, secretField, subjectField, cluster)
	}
	if subject == nil {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(secret); len(errs) > 0 {
		return fmt.Errorf("input %s.%s %q is not a Secret name: %s", prefix, secretField, secret, strings.Join(errs, "; "))
	}
	switch s := subject; {
	case s.Name == "":
		return fmt.Errorf("input %s.%s.name is required", prefix, subjectField)
	case s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "":
		return fmt.Errorf("input %s.%s: a ServiceAccount needs its namespace", prefix, subjectField)
	case s.Kind != rbacv1.ServiceAccountKind && s.Kind != rbacv1.UserKind && s.Kind != rbacv1.GroupKind:
		return fmt.Errorf("input %s.%s.kind %q must be User, Group or ServiceAccount", prefix, subjectField, s.Kind)
	}
	return nil
}
