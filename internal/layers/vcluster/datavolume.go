package vcluster

import (
	"github.com/crossplane/function-sdk-go/resource/composed"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// dataVolume is the size and class of the data store's volume claims, as the chart's
// StatefulSet (or its etcd's) asks for them in its volumeClaimTemplates; "" is the chart's
// default.
type dataVolume struct {
	size, storageClass string
}

// keptDataVolume is the data volume a virtual cluster that exists keeps: the one its observed
// Release asks for. Kubernetes refuses any change to a StatefulSet's volume claim templates, so
// a Release asking for another size or class fails Helm's upgrade ("updates to statefulset spec
// for fields other than ... are forbidden") on every retry, and nothing else of a size change
// (quota, limits, resources) would ever reach the tenant. The volume is therefore fixed when
// the virtual cluster is created; a new size profile changes everything else. nil: no Release is
// observed yet, so the size profile's volume applies.
func keptDataVolume(release *composed.Unstructured, backingStore string) *dataVolume {
	if release == nil {
		return nil
	}
	values, found, err := unstructured.NestedMap(release.Object, "spec", "forProvider", "values")
	if err != nil || !found {
		return nil
	}
	path := []string{"controlPlane", "statefulSet", "persistence", "volumeClaim"}
	if backingStore == tenant.BackingStoreEtcd {
		// The data lives in the etcd the chart deploys, whose StatefulSet keeps its own claims.
		path = []string{"controlPlane", "backingStore", "etcd", "deploy", "statefulSet", "persistence", "volumeClaim"}
	}
	claim, _, _ := unstructured.NestedMap(values, path...)
	size, _ := claim["size"].(string)
	class, _ := claim["storageClass"].(string)
	return &dataVolume{size: size, storageClass: class}
}
