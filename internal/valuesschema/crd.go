package valuesschema

import (
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// CRD compiles the openAPIV3Schema of one version of a CustomResourceDefinition file, made
// strict: an object schema that lists its properties refuses others (unless it preserves unknown
// fields), where the API server would prune them silently. A misspelt field then fails here
// instead of vanishing on a cluster.
func CRD(t testing.TB, path, version string) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(path) //nolint:gosec // a CRD of ../shared
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version {
			continue
		}
		schema := v.Schema.OpenAPIV3Schema
		strict(schema)
		c := jsonschema.NewCompiler()
		if err := c.AddResource("crd.json", Instance(t, schema)); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile("crd.json")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("%s has no version %s", path, version)
	return nil
}

// strict closes every object schema with properties, and drops the API server's own keywords.
func strict(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		if _, set := s["additionalProperties"]; !set && s["x-kubernetes-preserve-unknown-fields"] != true {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				strict(m)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		strict(items)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		strict(ap)
	}
	if s["x-kubernetes-int-or-string"] == true {
		delete(s, "type")
	}
}
