// Package requests builds the RunFunctionRequests Crossplane sends for the examples: a claim's
// XR, the function input of the shipped Composition, and the observed composed resources of
// examples/observed. The tests, the benchmarks and `make bench`'s load run share them, so that
// what is measured is what is tested.
package requests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/tenantcluster/function-tenantcluster/internal/claim"
)

// CompositionInput is the input of the Composition's "tenantcluster" pipeline step.
func CompositionInput(path string) (*structpb.Struct, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // a Composition of the repository
	if err != nil {
		return nil, err
	}
	var comp struct {
		Spec struct {
			Pipeline []struct {
				Step  string         `json:"step"`
				Input map[string]any `json:"input"`
			} `json:"pipeline"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &comp); err != nil {
		return nil, fmt.Errorf("cannot parse %s: %w", path, err)
	}
	for _, s := range comp.Spec.Pipeline {
		if s.Step == "tenantcluster" {
			return structpb.NewStruct(s.Input)
		}
	}
	return nil, fmt.Errorf("%s has no tenantcluster step", path)
}

// Observed reads the observed composed resources of the comma-separated folders under root
// (examples/observed), later folders adding to and replacing earlier ones, by their
// crossplane.io/composition-resource-name.
func Observed(root, dirs string) (map[string]*fnv1.Resource, error) {
	out := map[string]*fnv1.Resource{}
	for _, dir := range strings.Split(dirs, ",") {
		if err := observedDir(filepath.Join(root, dir), out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func observedDir(dir string, out map[string]*fnv1.Resource) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return fmt.Errorf("observed resources in %s: %w", dir, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("no observed resources in %s", dir)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f) //nolint:gosec // an example of the repository
		if err != nil {
			return err
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		meta, _ := m["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		name, _ := ann["crossplane.io/composition-resource-name"].(string)
		if name == "" {
			return fmt.Errorf("%s has no crossplane.io/composition-resource-name annotation", f)
		}
		s, err := structpb.NewStruct(m)
		if err != nil {
			return err
		}
		out[name] = &fnv1.Resource{Resource: s}
	}
	return nil
}

// Example is the request for the claim (or XR) at path, relative to the repository root repo,
// at one step of its observed history (comma-separated folders of examples/observed, "" for
// none), with the XR status the step before wrote (nil for none): the Composition is the one a
// claim of its kind is composed with.
func Example(repo, path, step string, status map[string]any) (*fnv1.RunFunctionRequest, error) {
	xr, err := claim.ReadXR(path)
	if err != nil {
		return nil, err
	}
	if status != nil {
		xr["status"] = status
	}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		return nil, err
	}
	comp := filepath.Join(repo, "apis", "composition.yaml")
	if claim.IsNamespaced(xr) {
		comp = filepath.Join(repo, "examples", "v2", "composition.yaml")
	}
	in, err := CompositionInput(comp)
	if err != nil {
		return nil, err
	}
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    in,
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: s}},
	}
	if step != "" {
		if req.Observed.Resources, err = Observed(filepath.Join(repo, "examples", "observed"), step); err != nil {
			return nil, err
		}
	}
	return req, nil
}
