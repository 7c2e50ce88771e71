package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// TestBackingStoreValues checks where each size keeps its data: the chart's embedded database
// for one replica, a deployed etcd (restricted, on the profile's volume and scheduling) for
// several, embedded etcd only with vCluster Pro allowed.
func TestBackingStoreValues(t *testing.T) {
	cases := map[string]struct {
		reason      string
		input, spec string
		want        *backingStoreValues
	}{
		"OneReplica": {
			reason: "A single replica keeps the chart's default backing store.",
			input:  "{}", spec: "{size: small}",
		},
		"HighlyAvailable": {
			reason: "Three replicas run on a deployed etcd with as many replicas, restricted, on the profile's volume.",
			input:  "{}", spec: "{size: large}",
			want: &backingStoreValues{Etcd: etcdValues{Deploy: &etcdDeployValues{Enabled: true, StatefulSet: statefulSetValues{
				HighAvailability: highAvailabilityValues{Replicas: 3},
				Security:         restrictedSecurity(),
				Persistence:      persistenceValues{VolumeClaim: volumeClaimValues{Size: "20Gi", RetentionPolicy: "Retain"}},
			}}}},
		},
		"HighlyAvailablePro": {
			reason: "With vCluster Pro allowed, etcd is embedded in the control plane.",
			input:  "{vcluster: {allowPro: true}}", spec: "{size: large}",
			want: &backingStoreValues{Etcd: etcdValues{Embedded: &enabledValues{Enabled: true}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := mustValues(t, testTenant(t, tc.input, tc.spec, "{}")).ControlPlane.BackingStore
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestBackingStoreKept checks which backing store an existing virtual cluster keeps.
func TestBackingStoreKept(t *testing.T) {
	cases := map[string]struct {
		reason             string
		input, spec, state string
		want               string
	}{
		"NewHAWithPro":       {reason: "A new highly available tenant gets embedded etcd when Pro is allowed.", input: "{vcluster: {allowPro: true}}", spec: "{size: large}", state: "{}", want: "embedded-etcd"},
		"DeployedEtcdStays":  {reason: "A tenant on deployed etcd keeps it when the platform allows Pro later: no migration by surprise.", input: "{vcluster: {allowPro: true}}", spec: "{size: large}", state: "{vcluster: {backingStore: etcd}}", want: "etcd"},
		"EmbeddedEtcdStays":  {reason: "A tenant on embedded etcd keeps it while Pro is allowed.", input: "{vcluster: {allowPro: true}}", spec: "{size: large}", state: "{vcluster: {backingStore: embedded-etcd}}", want: "embedded-etcd"},
		"SingleReplicaStays": {reason: "A single-replica tenant keeps the embedded database across single-replica sizes.", input: "{}", spec: "{size: medium}", state: "{vcluster: {backingStore: sqlite}}", want: "sqlite"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := testTenant(t, tc.input, tc.spec, tc.state).backingStore; got != tc.want {
				t.Errorf("%s\nbacking store: want %q, got %q", tc.reason, tc.want, got)
			}
		})
	}
}

// TestSchedulingValues checks that a profile's scheduling places both the control plane and its
// deployed etcd.
func TestSchedulingValues(t *testing.T) {
	tn := testTenant(t, `{sizes: {s: {replicas: 3, scheduling: {nodeSelector: {pool: vc}, priorityClassName: high, tolerations: [{key: k, operator: Exists}]}}}, defaults: {size: s}}`, "{}", "{}")
	cp := mustValues(t, tn).ControlPlane
	want := &schedulingValues{
		NodeSelector:      map[string]string{"pool": "vc"},
		PriorityClassName: "high",
		Tolerations:       []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}},
	}
	if diff := cmp.Diff(want, cp.StatefulSet.Scheduling); diff != "" {
		t.Errorf("control plane scheduling: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(want, cp.BackingStore.Etcd.Deploy.StatefulSet.Scheduling); diff != "" {
		t.Errorf("etcd scheduling: -want, +got:\n%s", diff)
	}
}
