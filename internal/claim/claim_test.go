package claim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToXR(t *testing.T) {
	cases := map[string]struct {
		reason  string
		in      map[string]any
		want    map[string]any
		wantErr bool
	}{
		"Claim": {
			reason: "A claim becomes the cluster-scoped XR Crossplane would create, labelled with the claim and referring to it.",
			in: map[string]any{
				"apiVersion": LegacyAPIVersion, "kind": ClaimKind,
				"metadata": map[string]any{"name": "dev", "namespace": "team-a"},
				"spec":     map[string]any{"size": "small"},
			},
			want: map[string]any{
				"apiVersion": LegacyAPIVersion, "kind": XRKind,
				"metadata": map[string]any{"name": "dev", "labels": map[string]any{
					"crossplane.io/claim-name": "dev", "crossplane.io/claim-namespace": "team-a",
				}},
				"spec": map[string]any{"size": "small", "claimRef": map[string]any{
					"apiVersion": LegacyAPIVersion, "kind": ClaimKind, "name": "dev", "namespace": "team-a",
				}},
			},
		},
		"ClaimWithConnectionSecret": {
			reason: "The claim's connection secret is the claim's; its XR writes its own in Crossplane's namespace, as Crossplane does.",
			in: map[string]any{
				"apiVersion": LegacyAPIVersion, "kind": ClaimKind,
				"metadata": map[string]any{"name": "dev", "namespace": "team-a"},
				"spec":     map[string]any{"writeConnectionSecretToRef": map[string]any{"name": "dev-kubeconfig"}},
			},
			want: map[string]any{
				"apiVersion": LegacyAPIVersion, "kind": XRKind,
				"metadata": map[string]any{"name": "dev", "labels": map[string]any{
					"crossplane.io/claim-name": "dev", "crossplane.io/claim-namespace": "team-a",
				}},
				"spec": map[string]any{
					"writeConnectionSecretToRef": map[string]any{"name": "dev-connection", "namespace": "crossplane-system"},
					"claimRef": map[string]any{
						"apiVersion": LegacyAPIVersion, "kind": ClaimKind, "name": "dev", "namespace": "team-a",
					},
				},
			},
		},
		"ClaimWithoutNamespace": {
			reason: "A claim file without a namespace lands in default, as with kubectl.",
			in:     map[string]any{"apiVersion": LegacyAPIVersion, "kind": ClaimKind, "metadata": map[string]any{"name": "dev"}},
			want: map[string]any{
				"apiVersion": LegacyAPIVersion, "kind": XRKind,
				"metadata": map[string]any{"name": "dev", "labels": map[string]any{
					"crossplane.io/claim-name": "dev", "crossplane.io/claim-namespace": "default",
				}},
				"spec": map[string]any{"claimRef": map[string]any{
					"apiVersion": LegacyAPIVersion, "kind": ClaimKind, "name": "dev", "namespace": "default",
				}},
			},
		},
		"NamespacedXR": {
			reason: "A Crossplane v2 namespaced TenantCluster is already an XR.",
			in:     map[string]any{"apiVersion": NamespacedAPIVersion, "kind": ClaimKind, "metadata": map[string]any{"name": "dev", "namespace": "a"}},
			want:   map[string]any{"apiVersion": NamespacedAPIVersion, "kind": ClaimKind, "metadata": map[string]any{"name": "dev", "namespace": "a"}},
		},
		"SomethingElse": {
			reason:  "Anything that is not a TenantCluster is refused.",
			in:      map[string]any{"apiVersion": "v1", "kind": "ConfigMap"},
			wantErr: true,
		},
		"NoName": {
			reason:  "A claim needs a name.",
			in:      map[string]any{"apiVersion": LegacyAPIVersion, "kind": ClaimKind},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ToXR(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nToXR(...): error %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nToXR(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
