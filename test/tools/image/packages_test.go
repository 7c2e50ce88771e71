package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestBuiltPackages inspects the xpkgs `make xpkg` built (XPKG_DIR and VERSION name them; the
// test is skipped without them): the Function package carries the runtime image (entrypoint,
// user) and its package metadata; the Configuration package depends on the function at exactly
// the same version.
func TestBuiltPackages(t *testing.T) {
	dir, version := os.Getenv("XPKG_DIR"), os.Getenv("VERSION")
	if dir == "" || version == "" {
		t.Skip("XPKG_DIR and VERSION name the packages to inspect (make xpkg sets them)")
	}
	fn := openPackage(t, filepath.Join(dir, "function-tenantcluster-"+version+".xpkg"))
	cfg, err := fn.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Config.Entrypoint) == 0 || cfg.Config.Entrypoint[0] != entrypoint || cfg.Config.User != user {
		t.Errorf("the Function package's runtime: entrypoint %v, user %q; want [%s], %q", cfg.Config.Entrypoint, cfg.Config.User, entrypoint, user)
	}
	if meta := packageYAML(t, fn); !strings.Contains(meta, "kind: Function") || !strings.Contains(meta, "name: inputs.tenantcluster.fn.crossplane.io") {
		t.Errorf("the Function package's package.yaml lacks the Function or its Input CRD:\n%.600s", meta)
	}
	conf := openPackage(t, filepath.Join(dir, "configuration-tenantcluster-"+version+".xpkg"))
	meta := packageYAML(t, conf)
	if !strings.Contains(meta, "function: xpkg.crossplane.io/tenantcluster/function-tenantcluster") || !strings.Contains(meta, `version: `+version) {
		t.Errorf("the Configuration does not depend on the function at %s:\n%.800s", version, meta)
	}
	for _, kind := range []string{"kind: CompositeResourceDefinition", "kind: Composition"} {
		if !strings.Contains(meta, kind) {
			t.Errorf("the Configuration package has no %s", kind)
		}
	}
	// Crossplane installs the dependency as its repository path made a DNS label; a functionRef
	// by any other name leaves every tenant waiting for a Function that never exists.
	if !strings.Contains(meta, "functionRef:\n") || !strings.Contains(meta, "name: tenantcluster-function-tenantcluster\n") {
		t.Errorf("the Composition's functionRef is not the name Crossplane installs the dependency as (tenantcluster-function-tenantcluster):\n%s", meta)
	}
	if !strings.Contains(meta, `app.kubernetes.io/version: `+version) {
		t.Errorf("the Composition does not carry the package version %s as a label", version)
	}
}

func openPackage(t *testing.T, path string) v1.Image {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// packageYAML is package.yaml from the layer Crossplane reads packages from: the image config
// labels it "io.crossplane.xpkg:<layer digest>": "base".
func packageYAML(t *testing.T, img v1.Image) string {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range cfg.Config.Labels {
		digest, ok := strings.CutPrefix(key, "io.crossplane.xpkg:")
		if !ok || value != "base" {
			continue
		}
		h, err := v1.NewHash(digest)
		if err != nil {
			t.Fatal(err)
		}
		layer, err := img.LayerByDigest(h)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := layer.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rc.Close() }()
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name == "package.yaml" {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
	}
	t.Fatal("no package.yaml in a layer labelled io.crossplane.xpkg: base")
	return ""
}
