// Package fleet holds the tests of examples/fleet: every fleet.yaml and the GitRepo are decoded
// strictly with Rancher Fleet's own Go types (github.com/rancher/fleet/pkg/apis), and the
// bundles' dependencies, accepted states, compare patches and target customizations are checked
// the way Fleet reads them. Run with `go test ./...` from this directory.
package fleet
