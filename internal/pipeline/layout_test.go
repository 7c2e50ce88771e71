package pipeline

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayersKnowEachOtherOnlyThroughTheModel holds the rule of docs/architecture.md that Go's
// internal packages alone cannot: no layer imports another layer, nor the pipeline or the
// checks. Layers share only the tenant model, the composition helpers and the contract.
func TestLayersKnowEachOtherOnlyThroughTheModel(t *testing.T) {
	const module = "github.com/tenantcluster/function-tenantcluster/internal/"
	dirs, err := os.ReadDir(filepath.Join("..", "layers"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("found only %d layers", len(dirs))
	}
	for _, d := range dirs {
		pkg, err := build.ImportDir(filepath.Join("..", "layers", d.Name()), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			rest, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if top, _, _ := strings.Cut(rest, "/"); top != "tenant" && top != "compose" && top != "layer" {
				t.Errorf("layer %s imports %s: layers know each other only through the tenant model (internal/tenant), the composition helpers (internal/compose) and the contract (internal/layer)", d.Name(), imp)
			}
		}
	}
}
