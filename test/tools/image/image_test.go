package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// dockerfileRuntime is the runtime configuration the Dockerfile's final stage declares.
type dockerfileRuntime struct {
	user       string
	entrypoint []string
	ports      []string
}

// parseDockerfile reads USER, ENTRYPOINT (exec form) and EXPOSE from the Dockerfile's last stage.
func parseDockerfile(t *testing.T, path string) dockerfileRuntime {
	t.Helper()
	data, err := os.ReadFile(path) //nolint:gosec // the repository's Dockerfile
	if err != nil {
		t.Fatal(err)
	}
	var rt dockerfileRuntime
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			rt = dockerfileRuntime{} // a new stage: only the last one runs
		case "USER":
			rt.user = fields[1]
		case "EXPOSE":
			for _, p := range fields[1:] {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				rt.ports = append(rt.ports, p)
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, fields[0]))), &rt.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT is not in exec form: %v", err)
			}
		}
	}
	sort.Strings(rt.ports)
	return rt
}

// TestImageMatchesDockerfile: the image built without a container engine runs like the one the
// Dockerfile builds where Docker exists: the same user, entrypoint and ports.
func TestImageMatchesDockerfile(t *testing.T) {
	want := parseDockerfile(t, filepath.Join("..", "..", "..", "Dockerfile"))
	if want.user == "" || len(want.entrypoint) == 0 || len(want.ports) == 0 {
		t.Fatalf("the Dockerfile's last stage declares user %q, entrypoint %v, ports %v: nothing to compare", want.user, want.entrypoint, want.ports)
	}
	img, err := build([]byte("#!binary"), "v0.0.0-test")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var ports []string
	for p := range cfg.Config.ExposedPorts {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	if cfg.Config.User != want.user {
		t.Errorf("user: image %q, Dockerfile %q", cfg.Config.User, want.user)
	}
	if !slices.Equal(cfg.Config.Entrypoint, want.entrypoint) {
		t.Errorf("entrypoint: image %v, Dockerfile %v", cfg.Config.Entrypoint, want.entrypoint)
	}
	if !slices.Equal(ports, want.ports) {
		t.Errorf("ports: image %v, Dockerfile %v", ports, want.ports)
	}
	if cfg.Config.User == "0" || strings.HasPrefix(cfg.Config.User, "0:") || cfg.Config.User == "root" {
		t.Errorf("the image runs as root")
	}
	if got := cfg.Config.Labels["org.opencontainers.image.version"]; got != "v0.0.0-test" {
		t.Errorf("version label %q, want v0.0.0-test", got)
	}
}

// TestImageIsReproducible: the same binary gives the same image digest.
func TestImageIsReproducible(t *testing.T) {
	digest := func() string {
		img, err := build([]byte("#!binary"), "v1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two builds of one binary: %s and %s", a, b)
	}
}
