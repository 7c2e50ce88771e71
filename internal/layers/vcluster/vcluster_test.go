package vcluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant/tenanttest"
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
				Scheduling:       &schedulingValues{Affinity: spreadOver("vcluster-etcd")},
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
			got := mustValues(t, tenanttest.New(t, tc.input, tc.spec, "{}")).ControlPlane.BackingStore
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
			if got := tenanttest.New(t, tc.input, tc.spec, tc.state).BackingStore; got != tc.want {
				t.Errorf("%s\nbacking store: want %q, got %q", tc.reason, tc.want, got)
			}
		})
	}
}

// spreadOver is the anti-affinity that spreads the team-a/dev release's pods with this app label.
func spreadOver(app string) *corev1.Affinity {
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
		Weight: 100,
		PodAffinityTerm: corev1.PodAffinityTerm{
			TopologyKey:   "kubernetes.io/hostname",
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app, "release": "dev"}},
		},
	}}}}
}

// TestSchedulingValues checks that a profile's scheduling places both the control plane and its
// deployed etcd, each spread over nodes by a selector on its own pods unless the profile states
// an affinity of its own.
func TestSchedulingValues(t *testing.T) {
	base := schedulingValues{
		NodeSelector:      map[string]string{"pool": "vc"},
		PriorityClassName: "high",
		Tolerations:       []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}},
	}
	own := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}},
	}}}
	with := func(a *corev1.Affinity) *schedulingValues { s := base; s.Affinity = a; return &s }
	cases := map[string]struct {
		reason              string
		scheduling          string
		wantPlane, wantEtcd *schedulingValues
	}{
		"Spread": {
			reason:     "Without an affinity of the profile's own, each workload is spread by a selector on its own pods.",
			scheduling: "{nodeSelector: {pool: vc}, priorityClassName: high, tolerations: [{key: k, operator: Exists}]}",
			wantPlane:  with(spreadOver("vcluster")), wantEtcd: with(spreadOver("vcluster-etcd")),
		},
		"ProfileAffinity": {
			reason:     "The profile's own affinity is used as it is, for both.",
			scheduling: "{nodeSelector: {pool: vc}, priorityClassName: high, tolerations: [{key: k, operator: Exists}], affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}}",
			wantPlane:  with(own), wantEtcd: with(own),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tn := tenanttest.New(t, `{sizes: {s: {replicas: 3, scheduling: `+tc.scheduling+`}}, defaults: {size: s}}`, "{}", "{}")
			cp := mustValues(t, tn).ControlPlane
			if diff := cmp.Diff(tc.wantPlane, cp.StatefulSet.Scheduling); diff != "" {
				t.Errorf("%s\ncontrol plane scheduling: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantEtcd, cp.BackingStore.Etcd.Deploy.StatefulSet.Scheduling); diff != "" {
				t.Errorf("%s\netcd scheduling: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
