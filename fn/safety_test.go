package fn

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/tenantcluster/function-tenantcluster/internal/layers/rancher"
	"github.com/tenantcluster/function-tenantcluster/internal/requests"
)

// observedHistories are the orders a tenant's observed state goes through, each step a
// comma-separated list of examples/observed folders: the vcluster's life, and the Rancher
// registration step by step, connected at last or with a registrar that failed.
var observedHistories = [][]string{
	{"", "kubeconfig-pending", "deployed", "failed"},
	rancherHistory("rancher/3-connected"),
	rancherHistory("rancher/install-failed"),
	// A registered tenant whose Helm upgrade failed, seen twice: the second run reads the facts
	// the first kept, and the virtual cluster's kubeconfig is still exported.
	append(rancherHistory("rancher/3-connected"), rancherUpgradeFailed, rancherUpgradeFailed),
}

const rancherUpgradeFailed = "rancher/0-deployed,rancher/1-cluster,rancher/2-registering,rancher/3-connected,rancher/4-upgrade-failed"

// rancherHistory is the registration of examples/claims/full.yaml up to a last step.
func rancherHistory(last string) []string {
	steps := []string{"rancher/0-deployed", "rancher/1-cluster", "rancher/2-registering", last}
	out := []string{""}
	for i := range steps {
		out = append(out, strings.Join(steps[:i+1], ","))
	}
	return out
}

// exampleRequest is the request Crossplane sends for an example at one step of its history: the
// observed resources of that step, and the XR status the previous step wrote (facts the function
// keeps in status are read back from there).
func exampleRequest(t testing.TB, path, step string, status map[string]any) *fnv1.RunFunctionRequest {
	t.Helper()
	req, err := requests.Example("..", path, step, status)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestNeverShrinks walks every example through every observed history. The desired set may
// only grow from step to step, and at every step, with the facts the previous run kept in the XR
// status, removing observed resources must not change it: a missing observation may make
// something not ready, it must never delete it. Removing observations from the request that
// first shows a fact may hold that step back, but never below the previous step.
func TestNeverShrinks(t *testing.T) {
	f := NewFunction(logging.NewNopLogger())
	run := func(t *testing.T, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
		t.Helper()
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}
	for _, path := range exampleFiles(t) {
		for h, history := range observedHistories {
			t.Run(fmt.Sprintf("%s/%s/history-%d", filepath.Base(filepath.Dir(path)), filepath.Base(path), h), func(t *testing.T) {
				var status map[string]any
				var previous []string
				runs := 0
				for _, step := range history {
					full := run(t, exampleRequest(t, path, step, status))
					want := resourceNames(full)
					if lost := missing(stillWanted(previous, full), want); len(lost) > 0 {
						t.Fatalf("step %q dropped %v composed at the step before", step, lost)
					}
					kept, _ := full.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
					withKept, withPrevious := exampleRequest(t, path, step, kept), exampleRequest(t, path, step, status)
					names := observedNames(withKept)
					for _, subset := range subsets(len(names)) {
						// With the facts of this step kept: exactly the same set.
						got := resourceNames(run(t, withoutObserved(withKept, names, subset)))
						if diff := cmp.Diff(want, got); diff != "" {
							t.Fatalf("step %q without observed %v: the desired set changed: -want, +got:\n%s", step, pick(names, subset), diff)
						}
						// With only the previous step's facts: never below the previous step.
						rsp := run(t, withoutObserved(withPrevious, names, subset))
						got = resourceNames(rsp)
						if lost := missing(stillWanted(previous, rsp), got); len(lost) > 0 {
							t.Fatalf("step %q without observed %v dropped %v", step, pick(names, subset), lost)
						}
						runs += 2
					}
					status, previous = kept, want
				}
				if runs < 60 {
					t.Fatalf("only %d requests checked; the observed history is missing", runs)
				}
			})
		}
	}
}

// subsets lists the subsets of n observed resources to remove: all of them for small n; for
// larger n every single one, every all-but-one, and a fixed pseudo-random sample (the same on
// every run, so a failure reproduces).
func subsets(n int) [][]int {
	var out [][]int
	if n <= 8 {
		for mask := range 1 << n {
			var s []int
			for i := range n {
				if mask&(1<<i) != 0 {
					s = append(s, i)
				}
			}
			out = append(out, s)
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	out = append(out, nil, all)
	for i := range n {
		out = append(out, []int{i}, slices.Delete(slices.Clone(all), i, i+1))
	}
	rng := rand.New(rand.NewPCG(uint64(n), 42)) //nolint:gosec // a reproducible sample, not a secret
	for range 150 {
		var s []int
		for i := range n {
			if rng.IntN(2) == 0 {
				s = append(s, i)
			}
		}
		out = append(out, s)
	}
	return out
}

func observedNames(req *fnv1.RunFunctionRequest) []string {
	names := make([]string, 0, len(req.GetObserved().GetResources()))
	for n := range req.GetObserved().GetResources() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// withoutObserved is a copy of req without the observed resources of subset.
func withoutObserved(req *fnv1.RunFunctionRequest, names []string, subset []int) *fnv1.RunFunctionRequest {
	req = proto.Clone(req).(*fnv1.RunFunctionRequest)
	for _, i := range subset {
		delete(req.Observed.Resources, names[i])
	}
	return req
}

func pick(names []string, subset []int) []string {
	out := make([]string, 0, len(subset))
	for _, i := range subset {
		out = append(out, names[i])
	}
	return out
}

// stillWanted is what of the previous step's set a response must still compose: all of it, but
// the registrar Job once the response reports the cluster connected. That is a decision on a
// fact Rancher reported (and the XR status keeps), not a missing observation: re-applying the
// import manifest would undo the agent Rancher deploys once connected.
func stillWanted(previous []string, rsp *fnv1.RunFunctionResponse) []string {
	status, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	rancherStatus, _ := status["rancher"].(map[string]any)
	if connected, _ := rancherStatus["connected"].(bool); !connected {
		return previous
	}
	return slices.DeleteFunc(slices.Clone(previous), func(n string) bool { return n == string(rancher.ResourceRegistrarJob) })
}

// missing lists the names of want that got lacks.
func missing(want, got []string) []string {
	var out []string
	for _, n := range want {
		if !slices.Contains(got, n) {
			out = append(out, n)
		}
	}
	return out
}

// TestDeterministic runs every example at every step of its history many times: the response
// must be byte-identical every time, although Go iterates maps in a different order each run.
func TestDeterministic(t *testing.T) {
	f := NewFunction(logging.NewNopLogger())
	marshal := proto.MarshalOptions{Deterministic: true}
	for _, path := range exampleFiles(t) {
		for _, step := range allSteps() {
			req := exampleRequest(t, path, step, nil)
			var first []byte
			for i := range 25 {
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := marshal.Marshal(rsp)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = b
					continue
				}
				if !bytes.Equal(first, b) {
					t.Fatalf("%s at step %q: run %d differs from the first", path, step, i)
				}
			}
		}
	}
}

// allSteps lists every distinct step of the observed histories.
func allSteps() []string {
	var out []string
	for _, h := range observedHistories {
		for _, s := range h {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
