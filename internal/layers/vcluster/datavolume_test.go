package vcluster

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
)

// TestDataVolumeKept checks that a virtual cluster that exists keeps its data volume across size
// changes (the API server refuses to change a StatefulSet's volume claim templates: the e2e's
// real Helm upgrade failed on exactly that), while everything else follows the new profile.
func TestDataVolumeKept(t *testing.T) {
	const controlPlaneClaim = "controlPlane.statefulSet.persistence.volumeClaim"
	const etcdClaim = "controlPlane.backingStore.etcd.deploy.statefulSet.persistence.volumeClaim"
	type want struct {
		size, class, requestsCPU string
	}
	cases := map[string]struct {
		reason      string
		spec, state string
		observed    string // the observed Release's spec.forProvider.values; "" for none observed
		claim       string
		want        want
	}{
		"NewTenant": {
			reason: "With no Release observed the profile's volume applies.",
			spec:   "{size: medium}", state: "{}", claim: controlPlaneClaim,
			want: want{size: "10Gi", requestsCPU: "8"},
		},
		"SmallerProfileKeepsVolume": {
			reason: "Moving from medium to small keeps the 10Gi volume and takes small's quota.",
			spec:   "{size: small}", state: "{vcluster: {backingStore: sqlite}}", claim: controlPlaneClaim,
			observed: "{controlPlane: {statefulSet: {persistence: {volumeClaim: {size: 10Gi, retentionPolicy: Retain}}}}}",
			want:     want{size: "10Gi", requestsCPU: "4"},
		},
		"LargerProfileKeepsVolume": {
			reason: "Moving from small to medium keeps the 5Gi volume (grow the claim itself where the class allows).",
			spec:   "{size: medium}", state: "{vcluster: {backingStore: sqlite}}", claim: controlPlaneClaim,
			observed: "{controlPlane: {statefulSet: {persistence: {volumeClaim: {size: 5Gi}}}}}",
			want:     want{size: "5Gi", requestsCPU: "8"},
		},
		"ClassKept": {
			reason: "The storage class is part of the claim template too.",
			spec:   "{size: small}", state: "{vcluster: {backingStore: sqlite}}", claim: controlPlaneClaim,
			observed: "{controlPlane: {statefulSet: {persistence: {volumeClaim: {size: 5Gi, storageClass: fast}}}}}",
			want:     want{size: "5Gi", class: "fast", requestsCPU: "4"},
		},
		"ChartDefaultKept": {
			reason: "A Release created with the chart's default size keeps it, rather than gaining one.",
			spec:   "{size: small}", state: "{vcluster: {backingStore: sqlite}}", claim: controlPlaneClaim,
			observed: "{controlPlane: {statefulSet: {}}}",
			want:     want{requestsCPU: "4"},
		},
		"EtcdVolumeKept": {
			reason: "On a deployed etcd the data is in etcd's claims, which are kept the same way.",
			spec:   "{size: large}", state: "{vcluster: {backingStore: etcd}}", claim: etcdClaim,
			observed: "{controlPlane: {backingStore: {etcd: {deploy: {statefulSet: {persistence: {volumeClaim: {size: 30Gi}}}}}}}}",
			want:     want{size: "30Gi", requestsCPU: "16"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tn := tenanttest.New(t, "{}", tc.spec, tc.state)
			observed := compose.Observed{}
			if tc.observed != "" {
				values := map[string]any{}
				if err := yaml.Unmarshal([]byte(tc.observed), &values); err != nil {
					t.Fatal(err)
				}
				rel := composed.New()
				rel.Object = map[string]any{"apiVersion": "helm.crossplane.io/v1beta1", "kind": "Release",
					"spec": map[string]any{"forProvider": map[string]any{"values": values}}}
				observed[compose.ResourceVCluster] = resource.ObservedComposed{Resource: rel}
			}
			out, err := Layer(tn, observed)
			if err != nil {
				t.Fatal(err)
			}
			values := out.Resources[0].Object["spec"].(map[string]any)["forProvider"].(map[string]any)["values"].(map[string]any)
			got := want{
				size:        str(t, values, append(strings.Split(tc.claim, "."), "size")...),
				class:       str(t, values, append(strings.Split(tc.claim, "."), "storageClass")...),
				requestsCPU: str(t, values, "policies", "resourceQuota", "quota", "requests.cpu"),
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func str(t *testing.T, m map[string]any, path ...string) string {
	t.Helper()
	v, _, err := unstructured.NestedString(m, path...)
	if err != nil {
		t.Fatalf("%v: %v", path, err)
	}
	return v
}
