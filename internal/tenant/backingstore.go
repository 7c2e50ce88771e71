package tenant

import (
	"fmt"
)

// The backing stores of a virtual cluster.
const (
	BackingStoreEmbedded     = "sqlite"
	BackingStoreEtcd         = "etcd"
	BackingStoreEmbeddedEtcd = "embedded-etcd"
)

// resolveBackingStore picks where the virtual cluster keeps its data: the chart's embedded
// database for one replica, etcd for several (embedded etcd needs vCluster Pro). Once a virtual
// cluster exists its backing store is a fact kept in the XR status, and a size that needs a
// different one is refused: switching would start the virtual cluster empty.
func (t *Tenant) resolveBackingStore() error {
	want := BackingStoreEmbedded
	if t.Size.Replicas > 1 {
		want = BackingStoreEtcd
		if t.Input.VCluster.AllowPro {
			want = BackingStoreEmbeddedEtcd
		}
	}
	have := ""
	if t.ObservedStatus.VCluster != nil {
		have = t.ObservedStatus.VCluster.BackingStore
	}
	switch {
	case have == "" || have == want:
		t.BackingStore = want
	case have != BackingStoreEmbedded && want != BackingStoreEmbedded:
		// Both etcd: the platform changed vcluster.allowPro. Existing tenants keep theirs.
		t.BackingStore = have
		if have == BackingStoreEmbeddedEtcd && !t.Input.VCluster.AllowPro {
			return fmt.Errorf("this virtual cluster keeps its data in embedded etcd, a vCluster Pro feature the platform no longer allows (input vcluster.allowPro)")
		}
	default:
		return &FieldError{Field: "size", Message: fmt.Sprintf(
			"size %q runs %s on %s, but this virtual cluster keeps its data in %s, which cannot change without losing it; choose a size with %s",
			t.SizeName, replicasText(t.Size.Replicas), want, have, map[bool]string{true: "one replica", false: "more than one replica"}[have == BackingStoreEmbedded])}
	}
	return nil
}

func replicasText(n int32) string {
	if n == 1 {
		return "one control plane replica"
	}
	return fmt.Sprintf("%d control plane replicas", n)
}
