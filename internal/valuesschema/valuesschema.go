// Package valuesschema validates vcluster chart values against the chart's values schema in
// ../shared, for the tests of the vcluster layer and of the rendered examples.
package valuesschema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SharedDir is ../shared beside the repository (CI puts it there), or $TENANTCLUSTER_SHARED.
// Tests run in their package's folder, so the repository is found by walking up to its
// Composition.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TENANTCLUSTER_SHARED")
	if dir == "" {
		repo, err := filepath.Abs(".")
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(repo, "apis", "composition.yaml")); err == nil {
				break
			}
			parent := filepath.Dir(repo)
			if parent == repo {
				t.Fatal("cannot find the repository above the test's folder")
			}
			repo = parent
		}
		dir = filepath.Join(repo, "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "schemas")); err != nil {
		t.Fatalf("cannot find the shared folder (schemas, CRDs) at %s: put it beside the clone as ../shared, or run make test SHARED=<path> (go test: TENANTCLUSTER_SHARED=<path>): %v", dir, err)
	}
	return dir
}

// Compile compiles the values schema at path.
func Compile(t testing.TB, path string) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(path) //nolint:gosec // test fixture
	if err != nil {
		t.Fatalf("no values schema for this chart version: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("values.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Instance converts values to the JSON form the validator expects.
func Instance(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// WithoutNulls drops null map entries, the keys Helm deletes from the chart's defaults.
func WithoutNulls(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		switch e := e.(type) {
		case nil:
		case map[string]any:
			out[k] = WithoutNulls(e)
		default:
			out[k] = e
		}
	}
	return out
}
