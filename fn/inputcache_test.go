package fn

import (
	"fmt"
	"path/filepath"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
)

// TestInputCache checks that a cached Input is the Input decodeInput gives, that no call can
// change what a later call gets, that a refused Input is refused with the same words every
// time, and that more distinct Inputs than the cache holds are each still decoded right.
func TestInputCache(t *testing.T) {
	shipped := &fnv1.RunFunctionRequest{Input: compositionInput(t, filepath.Join("..", "apis", "composition.yaml"))}
	want, err := decodeInput(shipped)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("SameInputSameResult", func(t *testing.T) {
		var c inputCache
		for i := range 3 {
			got, err := c.get(shipped)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("call %d: the cached Input differs from a fresh decode: -want, +got:\n%s", i, diff)
			}
			// What one call does to its Input must not reach the next.
			got.Sizes["small"].Quota["requests.cpu"] = want.Sizes["large"].Quota["requests.cpu"]
			got.Rancher.URL = "https://changed.example.com"
		}
	})

	t.Run("RefusedInputSameWords", func(t *testing.T) {
		var c inputCache
		bad := &fnv1.RunFunctionRequest{Input: st(t, `{apiVersion: tenantcluster.fn.crossplane.io/v1beta1, kind: Input, unknownField: 1}`)}
		_, fresh := decodeInput(bad)
		for i := range 2 {
			_, err := c.get(bad)
			if err == nil || fresh == nil || err.Error() != fresh.Error() {
				t.Fatalf("call %d: want the error %v, got %v", i, fresh, err)
			}
		}
	})

	t.Run("MoreInputsThanItHolds", func(t *testing.T) {
		var c inputCache
		for i := range 2*inputCacheSize + 1 {
			req := &fnv1.RunFunctionRequest{Input: st(t, fmt.Sprintf(`{apiVersion: tenantcluster.fn.crossplane.io/v1beta1, kind: Input, vcluster: {maxHistory: %d}}`, i+1))}
			got, err := c.get(req)
			if err != nil {
				t.Fatal(err)
			}
			if got.VCluster.MaxHistory != i+1 {
				t.Fatalf("Input %d: maxHistory %d", i, got.VCluster.MaxHistory)
			}
			if len(c.decoded) > inputCacheSize {
				t.Fatalf("the cache holds %d Inputs, more than %d", len(c.decoded), inputCacheSize)
			}
		}
	})
}

// TestInputCacheWithoutInput: a request without an Input is all defaults, from the cache too.
func TestInputCacheWithoutInput(t *testing.T) {
	want, err := decodeInput(&fnv1.RunFunctionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var c inputCache
	for i := range 2 {
		got, err := c.get(&fnv1.RunFunctionRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("call %d: -want, +got:\n%s", i, diff)
		}
	}
}

// TestSameStruct: two Inputs are the same only when every value is, kind and all.
func TestSameStruct(t *testing.T) {
	cases := map[string]struct {
		reason string
		a, b   string
		want   bool
	}{
		"Same":          {reason: "The same document, keys in another order.", a: `{a: 1, b: [x, {c: true}], d: null}`, b: `{d: null, b: [x, {c: true}], a: 1}`, want: true},
		"OtherNumber":   {reason: "A number differs.", a: `{a: 1}`, b: `{a: 2}`},
		"OtherKind":     {reason: "The string \"1\" is not the number 1.", a: `{a: 1}`, b: `{a: "1"}`},
		"MissingKey":    {reason: "A key only on one side.", a: `{a: 1, b: 2}`, b: `{a: 1, c: 2}`},
		"LongerList":    {reason: "A list with one more item.", a: `{a: [1]}`, b: `{a: [1, 1]}`},
		"ListOrder":     {reason: "Lists are ordered.", a: `{a: [1, 2]}`, b: `{a: [2, 1]}`},
		"NestedBool":    {reason: "A value deep inside differs.", a: `{a: {b: {c: true}}}`, b: `{a: {b: {c: false}}}`},
		"NullAndAbsent": {reason: "A null value is not an absent key.", a: `{a: null}`, b: `{}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := st(t, tc.a), st(t, tc.b)
			if got := sameStruct(a, b); got != tc.want {
				t.Errorf("%s\nsameStruct(%s, %s) = %v, want %v", tc.reason, tc.a, tc.b, got, tc.want)
			}
			if got := sameStruct(b, a); got != tc.want {
				t.Errorf("%s\nsameStruct(%s, %s) = %v, want %v", tc.reason, tc.b, tc.a, got, tc.want)
			}
		})
	}
	if !sameStruct(nil, nil) || sameStruct(nil, st(t, `{}`)) {
		t.Error("nil is the same only as nil")
	}
}
