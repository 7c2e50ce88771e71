package fleet

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// repoRoot is the repository root, seen from this module's folder.
const repoRoot = "../.."

// TestExamples decodes examples/fleet with Fleet's own types and holds it to every check.
func TestExamples(t *testing.T) {
	r, err := load(os.DirFS(repoRoot))
	if err != nil {
		t.Fatalf("load %s: %v", examplesDir, err)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(r); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("bundles install in the documented order", func(t *testing.T) {
		want := []string{"tenantcluster-crossplane", "tenantcluster-packages", "tenantcluster-providerconfigs", "tenantcluster-tenants"}
		got, err := installOrder(r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("install order (-want +got):\n%s", diff)
		}
	})
	t.Run("the tenants bundle deploys claims", func(t *testing.T) {
		// Without claims, or without the XRD's claim kind, the compare patch check has nothing
		// to check.
		n := 0
		for _, b := range r.bundles {
			for _, o := range b.objects {
				if slices.Contains(r.claims, o.u.GroupVersionKind()) {
					n++
				}
			}
		}
		if n == 0 {
			t.Errorf("no bundle deploys a claim of %v", r.claims)
		}
	})
}

// TestOperatingSettings: the settings docs/operating.md and docs/upgrading.md say tenants depend
// on are in the bundles that install Crossplane and the providers.
func TestOperatingSettings(t *testing.T) {
	r, err := load(os.DirFS(repoRoot))
	if err != nil {
		t.Fatalf("load %s: %v", examplesDir, err)
	}
	cases := map[string]struct {
		reason string
		bundle string
		// args returns the command-line arguments the bundle gives the component.
		args func(b *bundle) ([]string, error)
		want []string
	}{
		"CrossplaneCircuitBreaker": {
			reason: "Crossplane's XR circuit breaker opens during every tenant's creation with its default burst.",
			bundle: "tenantcluster-crossplane",
			args:   chartArgs,
			want:   []string{"--circuit-breaker-burst=16000"},
		},
		"CrossplaneDependencyUpgrades": {
			reason: "The Configuration pins the function, so upgrading it needs Crossplane to upgrade dependencies (docs/upgrading.md).",
			bundle: "tenantcluster-crossplane",
			args:   chartArgs,
			want:   []string{"--enable-dependency-version-upgrades"},
		},
		"ProviderKubernetesFlags": {
			reason: "Rancher registration needs a short poll, Objects need watches, and the import Secret must not show in status.",
			bundle: "tenantcluster-packages",
			args:   func(b *bundle) ([]string, error) { return packageRuntimeArgs(b, "/provider-kubernetes:") },
			want:   []string{"--poll=1m", "--enable-watches", "--sanitize-secrets"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i := slices.IndexFunc(r.bundles, func(b *bundle) bool { return b.name == tc.bundle })
			if i < 0 {
				t.Fatalf("%s\nno bundle %s", tc.reason, tc.bundle)
			}
			got, err := tc.args(r.bundles[i])
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s\n%s: want argument %s in %v", tc.reason, tc.bundle, w, got)
				}
			}
		})
	}
}

// chartArgs returns the `args` value the bundle gives its Helm chart.
func chartArgs(b *bundle) ([]string, error) {
	if b.spec.Helm == nil || b.spec.Helm.Values == nil {
		return nil, fmt.Errorf("%s: no Helm values", b.name)
	}
	args, _, err := unstructured.NestedStringSlice(b.spec.Helm.Values.Data, "args")
	return args, err
}

// packageRuntimeArgs returns the package-runtime container's arguments in the
// DeploymentRuntimeConfig of the Provider whose package reference contains pkg.
func packageRuntimeArgs(b *bundle, pkg string) ([]string, error) {
	var config string
	for _, o := range b.objects {
		ref, _, _ := unstructured.NestedString(o.u.Object, "spec", "package")
		if o.u.GetKind() == "Provider" && strings.Contains(ref, pkg) {
			config, _, _ = unstructured.NestedString(o.u.Object, "spec", "runtimeConfigRef", "name")
		}
	}
	for _, o := range b.objects {
		if o.u.GetKind() != "DeploymentRuntimeConfig" || o.u.GetName() != config {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.u.Object, "spec", "deploymentTemplate", "spec", "template", "spec", "containers")
		for _, c := range containers {
			c, ok := c.(map[string]any)
			if ok && c["name"] == "package-runtime" {
				args, _, err := unstructured.NestedStringSlice(c, "args")
				return args, err
			}
		}
	}
	return nil, fmt.Errorf("no package-runtime container in the DeploymentRuntimeConfig %q of the Provider of %s", config, pkg)
}

// TestBundleName holds the copy of Fleet's naming rule to the names Fleet gives. The checksums
// were computed independently (MD5 of the string the rule hashes).
func TestBundleName(t *testing.T) {
	cases := map[string]struct {
		reason   string
		repo     string
		path     string
		override string
		want     string
	}{
		"Path": {
			reason: "The GitRepo's name and the path, slashes made dashes.",
			repo:   "tenantcluster",
			path:   "examples/fleet/1-crossplane",
			want:   "tenantcluster-examples-fleet-1-crossplane",
		},
		"Override": {
			reason:   "fleet.yaml's name replaces the derived name as it is.",
			repo:     "tenantcluster",
			path:     "examples/fleet/1-crossplane",
			override: "tenantcluster-crossplane",
			want:     "tenantcluster-crossplane",
		},
		"UpperCase": {
			reason: "Upper case is lowered, with a checksum of the original against collisions.",
			repo:   "tenantcluster",
			path:   "Examples/Fleet",
			want:   "tenantcluster-examples-fleet-1f2aed5f",
		},
		"DisallowedCharacter": {
			reason: "Characters other than letters, digits and dashes become dashes, with a checksum.",
			repo:   "tenantcluster",
			path:   "fleet_examples",
			want:   "tenantcluster-fleet-examples-65748f28",
		},
		"TooLong": {
			reason: "Names longer than a Helm release name are cut to 53 characters ending in a checksum.",
			repo:   "tenantcluster",
			path:   "platform/gitops/clusters/production/eu-west-1/tenantcluster",
			want:   "tenantcluster-platform-gitops-clusters-producti-0c6a6",
		},
		"TooLongCutAtDash": {
			reason: "A cut that ends in a dash takes no second dash before the checksum.",
			repo:   "tenantcluster",
			path:   strings.Repeat("a", 32) + "/" + strings.Repeat("b", 10),
			want:   "tenantcluster-" + strings.Repeat("a", 32) + "-7a4aa",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := bundleName(tc.repo, tc.path, tc.override); got != tc.want {
				t.Errorf("%s\nbundleName(%q, %q, %q) = %q, want %q", tc.reason, tc.repo, tc.path, tc.override, got, tc.want)
			}
		})
	}
}

// A small repository that follows every rule: bundle b waits for the Helm chart bundle a, and
// deploys a claim everywhere and another through a target customization's overlay.
const (
	fixtureGitRepo = `apiVersion: fleet.cattle.io/v1alpha1
kind: GitRepo
metadata:
  name: demo
  namespace: fleet-local
spec:
  repo: https://git.example.org/demo
  paths:
    - examples/fleet/a
    - examples/fleet/b
`
	fixtureA = `name: demo-a
helm:
  repo: https://charts.example.org
  chart: thing
  version: 1.2.3
`
	fixtureB = `name: demo-b
dependsOn:
  - name: demo-a
    acceptedStates: [Ready, Modified]
diff:
  comparePatches:
    - apiVersion: example.org/v1
      kind: Thing
      jsonPointers: [/spec/resourceRef, /spec/compositionRef, /spec/compositionRevisionRef, /spec/compositionRevisionSelector, /spec/compositeDeletePolicy]
targetCustomizations:
  - name: prod
    clusterSelector: {matchLabels: {env: prod}}
    yaml: {overlays: [prod]}
`
	fixtureClaim = `# A claim every cluster gets, in its namespace.
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: example.org/v1
kind: Thing
metadata: {name: one, namespace: team}
spec: {}
---
apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata: {name: provider-thing}
spec:
  package: xpkg.example.org/provider-thing:v1.0.0
`
	fixtureOverlayClaim = `apiVersion: example.org/v1
kind: Thing
metadata: {name: two, namespace: team}
spec: {}
`
	fixtureXRD = `apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xthings.example.org}
spec:
  group: example.org
  names: {kind: XThing, plural: xthings}
  claimNames: {kind: Thing, plural: things}
  versions: [{name: v1}]
`
)

const (
	fileA       = "examples/fleet/a/fleet.yaml"
	fileB       = "examples/fleet/b/fleet.yaml"
	fileGitRepo = "examples/fleet/gitrepo.yaml"
)

func fixture() fstest.MapFS {
	return fstest.MapFS{
		fileGitRepo:                   {Data: []byte(fixtureGitRepo)},
		fileA:                         {Data: []byte(fixtureA)},
		fileB:                         {Data: []byte(fixtureB)},
		"examples/fleet/b/claim.yaml": {Data: []byte(fixtureClaim)},
		"examples/fleet/b/overlays/prod/two.yaml": {Data: []byte(fixtureOverlayClaim)},
		"apis/definition.yaml":                    {Data: []byte(fixtureXRD)},
	}
}

// replace changes the first old in file to new, and fails if file has no old.
func replace(file, old, new string) func(fstest.MapFS) error {
	return func(fsys fstest.MapFS) error {
		f, ok := fsys[file]
		if !ok || !strings.Contains(string(f.Data), old) {
			return fmt.Errorf("fixture %s has no %q", file, old)
		}
		fsys[file] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), old, new, 1))}
		return nil
	}
}

// write adds or replaces file.
func write(file, content string) func(fstest.MapFS) error {
	return func(fsys fstest.MapFS) error {
		fsys[file] = &fstest.MapFile{Data: []byte(content)}
		return nil
	}
}

// TestChecksCatchMistakes: each check fails on the mistake it is there for, with a message that
// names it.
func TestChecksCatchMistakes(t *testing.T) {
	cases := map[string]struct {
		reason string
		edits  []func(fstest.MapFS) error
		want   string // a part of the error; "" for none
	}{
		"Valid": {
			reason: "The fixture follows every rule.",
		},
		"SelectorDependency": {
			reason: "A dependsOn selector on a bundle's labels resolves like a name.",
			edits: []func(fstest.MapFS) error{
				replace(fileA, "name: demo-a\n", "name: demo-a\nlabels: {role: base}\n"),
				replace(fileB, "- name: demo-a", "- selector: {matchLabels: {role: base}}"),
			},
		},
		"UnknownField": {
			reason: "Fleet silently ignores a misspelt key; decoding strictly must not.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "dependsOn:", "dependOn:")},
			want:   `unknown field "dependOn"`,
		},
		"KeyCase": {
			reason: "Keys must be spelt as Fleet's types spell them, not only match case-insensitively.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "dependsOn:", "DependsOn:")},
			want:   "DependsOn",
		},
		"DuplicateKey": {
			reason: "A key given twice silently keeps one of the values.",
			edits:  []func(fstest.MapFS) error{replace(fileA, "name: demo-a\n", "name: demo-a\nname: demo-x\n")},
			want:   `"name" already`,
		},
		"UnknownGitRepoField": {
			reason: "The GitRepo is decoded strictly too.",
			edits:  []func(fstest.MapFS) error{replace(fileGitRepo, "  repo:", "  repository:")},
			want:   `unknown field "spec.repository"`,
		},
		"FleetYAMLNotListed": {
			reason: "A bundle folder the GitRepo does not list is never deployed.",
			edits:  []func(fstest.MapFS) error{write("examples/fleet/c/fleet.yaml", "name: demo-c\n")},
			want:   "examples/fleet/c is not in the GitRepo's paths",
		},
		"InvalidBundleName": {
			reason: "fleet.yaml's name is used as it is, so it must be a valid name.",
			edits: []func(fstest.MapFS) error{
				replace(fileA, "name: demo-a", "name: Demo_A"),
				replace(fileB, "- name: demo-a", "- name: Demo_A"),
			},
			want: `bundle name "Demo_A"`,
		},
		"DuplicateBundleName": {
			reason: "Two bundles of one name overwrite each other.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "name: demo-b", "name: demo-a")},
			want:   `are both bundle "demo-a"`,
		},
		"DependsOnTypo": {
			reason: "A dependency no bundle satisfies makes Fleet wait forever.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "- name: demo-a", "- name: demo-x")},
			want:   "dependsOn[0] (fleet.cattle.io/bundle-name=demo-x,fleet.cattle.io/bundle-namespace=fleet-local) matches no bundle",
		},
		"DependsOnSelectorMatchesNothing": {
			reason: "A selector no bundle's labels match makes Fleet wait forever.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "- name: demo-a", "- selector: {matchLabels: {role: base}}")},
			want:   "dependsOn[0] (role=base) matches no bundle",
		},
		"DependsOnNeitherNameNorSelector": {
			reason: "Fleet refuses a dependency without name or selector.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "  - name: demo-a\n    acceptedStates", "  - acceptedStates")},
			want:   "dependsOn[0] has neither name nor selector",
		},
		"Cycle": {
			reason: "Bundles waiting for each other never install.",
			edits:  []func(fstest.MapFS) error{replace(fileA, "name: demo-a\n", "name: demo-a\ndependsOn: [{name: demo-b}]\n")},
			want:   "dependsOn has a cycle",
		},
		"NoOrder": {
			reason: "Without dependsOn, Fleet installs the bundles at once.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "dependsOn:\n  - name: demo-a\n    acceptedStates: [Ready, Modified]\n", "")},
			want:   "demo-a, demo-b can be installed in any order",
		},
		"UnknownState": {
			reason: "Healthy is a Crossplane condition, not a Fleet bundle state.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "[Ready, Modified]", "[Ready, Healthy]")},
			want:   `"Healthy" is not a Fleet bundle state`,
		},
		"StatesWithoutReady": {
			reason: "A list without Ready makes a fully ready dependency block.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "[Ready, Modified]", "[Modified]")},
			want:   "leaves out Ready",
		},
		"PatchKindNotInBundle": {
			reason: "A compare patch for a kind the bundle does not deploy ignores nothing.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "kind: Thing\n", "kind: Things\n")},
			want:   "compare patch example.org/v1 Things (name \"\", namespace \"\") matches no manifest",
		},
		"PatchMissesACrossplaneField": {
			reason: "Every field Crossplane writes into a claim must be ignored.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "/spec/resourceRef, ", "")},
			want:   "do not ignore [/spec/resourceRef]",
		},
		"PatchNotAPointer": {
			reason: "jsonPointers are JSON pointers.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "/spec/resourceRef,", "spec.resourceRef, /spec/resourceRef,")},
			want:   `"spec.resourceRef" is not a JSON pointer`,
		},
		"ClaimNotCovered": {
			reason: "A compare patch naming one claim leaves the others out.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "      kind: Thing\n", "      kind: Thing\n      name: two\n")},
			want:   "claim example.org/v1 Thing team/one (claim.yaml) is not covered",
		},
		"ClaimCoveredOnlyByCustomization": {
			reason: "A customization's compare patches apply only on its clusters; the base claim is deployed everywhere.",
			edits: []func(fstest.MapFS) error{write(fileB, `name: demo-b
dependsOn:
  - name: demo-a
    acceptedStates: [Ready, Modified]
targetCustomizations:
  - name: prod
    clusterSelector: {matchLabels: {env: prod}}
    yaml: {overlays: [prod]}
    diff:
      comparePatches:
        - apiVersion: example.org/v1
          kind: Thing
          jsonPointers: [/spec/resourceRef, /spec/compositionRef, /spec/compositionRevisionRef, /spec/compositionRevisionSelector, /spec/compositeDeletePolicy]
`)},
			want: "claim example.org/v1 Thing team/one (claim.yaml) is not covered",
		},
		"CustomizationWithoutName": {
			reason: "Fleet shows a customization by its name.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "  - name: prod\n    clusterSelector", "  - clusterSelector")},
			want:   "has no name",
		},
		"CustomizationWithoutSelector": {
			reason: "A customization without a selector applies nowhere.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "    clusterSelector: {matchLabels: {env: prod}}\n", "")},
			want:   `targetCustomizations[0] "prod" selects no cluster`,
		},
		"CustomizationEmptySelector": {
			reason: "An empty selector matches every cluster and hides the customizations after it.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "{matchLabels: {env: prod}}", "{}")},
			want:   "an empty selector matches every cluster",
		},
		"MissingOverlay": {
			reason: "An overlay without a folder changes nothing.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "overlays: [prod]", "overlays: [production]")},
			want:   `overlay "production" has no manifests in examples/fleet/b/overlays/production/`,
		},
		"UnusedOverlay": {
			reason: "An overlay folder no customization names is never deployed.",
			edits:  []func(fstest.MapFS) error{replace(fileB, "    yaml: {overlays: [prod]}\n", "")},
			want:   `no target customization uses overlay "prod"`,
		},
		"BuiltInKindUnknownField": {
			reason: "Manifests of Kubernetes' own kinds are decoded strictly with their Go types.",
			edits:  []func(fstest.MapFS) error{replace("examples/fleet/b/claim.yaml", "metadata: {name: team}", "metadata: {name: team}\nspec: {finalizer: [kubernetes]}")},
			want:   `v1 Namespace team (claim.yaml): unknown field "spec.finalizer"`,
		},
		"BuiltInKindWithoutType": {
			reason: "A built-in kind the check has no Go type for is not silently skipped.",
			edits:  []func(fstest.MapFS) error{write("examples/fleet/b/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: team}\n")},
			want:   "no Go type to check apps/v1, Kind=Deployment against",
		},
		"ChartRange": {
			reason: "A version range upgrades the chart without a change in Git.",
			edits:  []func(fstest.MapFS) error{replace(fileA, "version: 1.2.3", "version: ^1.2.0")},
			want:   `chart thing version "^1.2.0" is not an exact version`,
		},
		"PackageLatest": {
			reason: "A moving tag upgrades the package without a change in Git.",
			edits:  []func(fstest.MapFS) error{replace("examples/fleet/b/claim.yaml", ":v1.0.0", ":latest")},
			want:   `package "xpkg.example.org/provider-thing:latest" is not pinned`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fsys := fixture()
			for _, edit := range tc.edits {
				if err := edit(fsys); err != nil {
					t.Fatal(err)
				}
			}
			r, err := load(fsys)
			if err == nil {
				err = checkAll(r)
			}
			if err != nil {
				t.Logf("errors:\n%v", err)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\nwant no error, got:\n%v", tc.reason, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s\nwant an error containing %q, got none", tc.reason, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s\nwant an error containing %q, got:\n%v", tc.reason, tc.want, err)
			}
		})
	}
}
