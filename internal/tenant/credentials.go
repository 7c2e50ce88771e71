package tenant

import (
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
