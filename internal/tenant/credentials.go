package tenant

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tenantcluster/function-tenantcluster/apis/tenant/v1alpha1"
)

// Credential is one key of a Secret in the claim's namespace that a layer needs in the tenant's
// host namespace (a log output's password, an alert receiver's webhook URL): the layer's copier
// brings it into the layer's credentials Secret there under HostKey.
type Credential struct {
	Secret, Key, HostKey string
}

// credentialOf names a claim's Secret key in a credentials Secret: <secret>_<key>, which is
// unambiguous because a Secret's name has no "_", or a hash of both where that is too long for
// a key.
func credentialOf(ref v1alpha1.SecretKeyRef) Credential {
	key := ref.Name + "_" + ref.Key
	if len(key) > validation.DNS1123SubdomainMaxLength {
		key = "c-" + ShortHash(ref.Name+"/"+ref.Key)
	}
	return Credential{Secret: ref.Name, Key: ref.Key, HostKey: key}
}

// secretKeyPattern is what a Secret's key may be.
var secretKeyPattern = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// checkSecretKeyRef checks a claim's Secret key reference at field and names it.
func checkSecretKeyRef(field string, ref v1alpha1.SecretKeyRef) (Credential, error) {
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		return Credential{}, &FieldError{Field: field + ".name", Message: fmt.Sprintf("%q is not a Secret name in the claim's namespace: %s", ref.Name, strings.Join(errs, "; "))}
	}
	if len(ref.Key) > validation.DNS1123SubdomainMaxLength || !secretKeyPattern.MatchString(ref.Key) {
		return Credential{}, &FieldError{Field: field + ".key", Message: fmt.Sprintf("%q is not a Secret key: letters, digits, '-', '_' and '.', at most 253", ref.Key)}
	}
	return credentialOf(ref), nil
}
