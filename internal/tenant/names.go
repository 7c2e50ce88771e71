package tenant

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Kubernetes names are DNS-1123 labels of at most 63 characters. Every name the function
// composes is derived from the tenant's ID plus a short fixed suffix, so the budget is split once,
// here: the ID is at most MaxIDLength characters and no suffix or namespace prefix is longer than
// the rest.
const (
	MaxLabelLength = 63
	MaxIDLength    = 40
	hashLength     = 8
)

// tenantID builds a tenant's ID: the readable part, cleaned and cut to fit, followed by a hash of
// key, the tenant's full identity. The hash is always there, not only for long names: without
// it, claim "b-c" in namespace "a" and claim "c" in namespace "a-b" would share an ID (and a host
// namespace), and a tenant could take over another's resources by choosing its name.
func tenantID(readable, key string) string {
	return withHash(readable, key, MaxIDLength)
}

// DNSLabel returns s when it already is a DNS-1123 label of at most max characters, and otherwise
// a cleaned, shortened form with a stable hash of s appended, so that distinct inputs stay
// distinct.
func DNSLabel(s string, maxLen int) string {
	if len(s) <= maxLen && CleanLabel(s) == s && s != "" {
		return s
	}
	return withHash(s, s, maxLen)
}

// withHash cleans readable into a DNS label and appends "-" and a hash of key, within maxLen.
func withHash(readable, key string, maxLen int) string {
	h := ShortHash(key)
	keep := maxLen - len(h) - 1
	r := CleanLabel(readable)
	if len(r) > keep {
		r = strings.TrimRight(r[:keep], "-")
	}
	if r == "" {
		return "t" + h
	}
	return r + "-" + h
}

// CleanLabel lowercases s, turns every character a DNS label cannot hold into "-", and trims
// dashes at both ends.
func CleanLabel(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	return strings.Trim(string(b), "-")
}

// ShortHash is a stable 8-hex-digit hash of s, for names that must stay apart.
func ShortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLength]
}
