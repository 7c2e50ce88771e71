package fleet

import (
	"bufio"
	"bytes"
	"crypto/md5" //nolint:gosec // Fleet derives bundle names with an MD5 checksum; so must the copy of its rule.
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	fleet "github.com/rancher/fleet/pkg/apis/fleet.cattle.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Where the checked files are, relative to the repository root.
const (
	examplesDir    = "examples/fleet"
	gitRepoFile    = examplesDir + "/gitrepo.yaml"
	definitionFile = "apis/definition.yaml"
	fleetYAML      = "fleet.yaml"
	overlaysDir    = "overlays"
)

// crossplaneClaimFields are the fields of a legacy claim's spec that Crossplane v2.2.1 writes
// rather than the claim's author: the claim syncer
// (internal/controller/apiextensions/claim/syncer_ssa.go in crossplane/crossplane) sets
// resourceRef and copies back compositionRef, compositionRevisionRef and
// compositionRevisionSelector from the XR; the API server defaults compositeDeletePolicy from the
// XRD (internal/xcrd/schemas.go, CompositeResourceClaimSpecProps). Every claim a bundle deploys
// must have all of them in its compare patches.
var crossplaneClaimFields = []string{
	"/spec/resourceRef",
	"/spec/compositionRef",
	"/spec/compositionRevisionRef",
	"/spec/compositionRevisionSelector",
	"/spec/compositeDeletePolicy",
}

// A repo is examples/fleet as Fleet reads it: the GitRepo and the bundles its paths make.
type repo struct {
	fsys    fs.FS
	gitRepo fleet.GitRepo
	// bundles in the order of the GitRepo's paths.
	bundles []*bundle
	// claims are the claim kinds of the XRD in apis/.
	claims []schema.GroupVersionKind
}

// A bundle is one path of the GitRepo: its fleet.yaml and the manifests in its folder.
type bundle struct {
	// path is the GitRepo path, relative to the repository root.
	path string
	// name is the Bundle's name as Fleet derives it.
	name string
	spec fleet.FleetYAML
	// objects are every manifest in the folder, those in overlays/ included.
	objects []object
}

// An object is one manifest of a bundle.
type object struct {
	// file is relative to the bundle's folder, e.g. overlays/production/team-payments.yaml.
	file string
	u    *unstructured.Unstructured
}

// overlay returns the overlay an object belongs to, or "" for the bundle's base manifests that
// every cluster gets.
func (o object) overlay() string {
	parts := strings.Split(o.file, "/")
	if len(parts) > 2 && parts[0] == overlaysDir {
		return parts[1]
	}
	return ""
}

func (o object) String() string {
	name := o.u.GetName()
	if ns := o.u.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %s %s (%s)", o.u.GetAPIVersion(), o.u.GetKind(), name, o.file)
}

// decodeStrict decodes YAML into one of Fleet's types and fails on anything Fleet's types do not
// know. Fleet's own reader (sigs.k8s.io/yaml.Unmarshal in internal/bundlereader/read.go) drops
// unknown fields silently, so a misspelt or misplaced key would quietly do nothing; here it is an
// error, and so are duplicate keys and keys that match a field only case-insensitively.
func decodeStrict(data []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, into)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// load reads the GitRepo and every bundle it lists from fsys, the repository root.
func load(fsys fs.FS) (*repo, error) {
	r := &repo{fsys: fsys}
	data, err := fs.ReadFile(fsys, gitRepoFile)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(data, &r.gitRepo); err != nil {
		return nil, fmt.Errorf("%s: %w", gitRepoFile, err)
	}
	if gvk := r.gitRepo.GroupVersionKind(); gvk != fleet.SchemeGroupVersion.WithKind("GitRepo") {
		return nil, fmt.Errorf("%s: want a %s GitRepo, got %s", gitRepoFile, fleet.SchemeGroupVersion, gvk)
	}
	if len(r.gitRepo.Spec.Paths) == 0 {
		return nil, fmt.Errorf("%s: spec.paths is empty: Fleet would make a bundle of the whole repository", gitRepoFile)
	}
	for _, p := range r.gitRepo.Spec.Paths {
		if strings.ContainsAny(p, "*?[") {
			return nil, fmt.Errorf("%s: path %q is a glob; list the bundles one by one", gitRepoFile, p)
		}
		// Fleet drops leading slashes from paths (globDirs in internal/cmd/cli/apply/apply.go).
		b, err := loadBundle(fsys, r.gitRepo.Name, path.Clean(strings.TrimLeft(p, "/")))
		if err != nil {
			return nil, err
		}
		r.bundles = append(r.bundles, b)
	}
	r.claims, err = claimKinds(fsys)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func loadBundle(fsys fs.FS, repoName, dir string) (*bundle, error) {
	file := path.Join(dir, fleetYAML)
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("GitRepo path %s: %w", dir, err)
	}
	b := &bundle{path: dir}
	if err := decodeStrict(data, &b.spec); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	b.name = bundleName(repoName, dir, b.spec.Name)

	err = fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir(), name == file:
			return nil
		case !slices.Contains([]string{".yaml", ".yml", ".json"}, path.Ext(name)):
			return nil
		}
		objs, err := readObjects(fsys, name)
		if err != nil {
			return err
		}
		for _, u := range objs {
			b.objects = append(b.objects, object{file: strings.TrimPrefix(name, dir+"/"), u: u})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// readObjects reads every manifest of a (multi-document) YAML file.
func readObjects(fsys fs.FS, name string) ([]*unstructured.Unstructured, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if string(bytes.TrimSpace(j)) == "null" {
			continue // only comments
		}
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(j, &u.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("%s: a manifest without apiVersion, kind or metadata.name", name)
		}
		objs = append(objs, u)
	}
}

// claimKinds returns the claim kinds of the XRD in apis/, in each of its versions.
func claimKinds(fsys fs.FS) ([]schema.GroupVersionKind, error) {
	data, err := fs.ReadFile(fsys, definitionFile)
	if err != nil {
		return nil, err
	}
	var xrd struct {
		Spec struct {
			Group      string `json:"group"`
			ClaimNames *struct {
				Kind string `json:"kind"`
			} `json:"claimNames"`
			Versions []struct {
				Name string `json:"name"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &xrd); err != nil {
		return nil, fmt.Errorf("%s: %w", definitionFile, err)
	}
	if xrd.Spec.ClaimNames == nil {
		return nil, nil
	}
	var kinds []schema.GroupVersionKind
	for _, v := range xrd.Spec.Versions {
		kinds = append(kinds, schema.GroupVersionKind{Group: xrd.Spec.Group, Version: v.Name, Kind: xrd.Spec.ClaimNames.Kind})
	}
	return kinds, nil
}

var (
	disallowedChars = regexp.MustCompile(`[^a-zA-Z0-9-]+`)
	multipleDashes  = regexp.MustCompile(`-+`)
	helmRelease     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dnsLabel        = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// bundleName is the name Fleet gives the bundle of a GitRepo path. The rule, reimplemented from
// rancher/fleet v0.15:
//   - internal/cmd/cli/apply/apply.go (bundleFromDir): the GitRepo's name joined with the path,
//     made a Helm release name by internal/names/name.go (HelmReleaseName): slashes become
//     dashes; a name with upper case or characters other than letters, digits and dashes gets
//     the first 8 hex digits of its MD5 appended before it is lower-cased and cleaned; names
//     longer than 53 characters are cut and end in 5 hex digits of their MD5 (Limit);
//   - internal/bundlereader/read.go (bundleFromDir): fleet.yaml's `name`, if set, replaces it
//     as it is.
func bundleName(repoName, dir, override string) string {
	if override != "" {
		return override
	}
	return helmReleaseName(path.Join(repoName, dir))
}

func helmReleaseName(s string) string {
	original := s
	s = strings.ReplaceAll(s, "/", "-")
	if s != strings.ToLower(s) || disallowedChars.MatchString(s) {
		s += "-" + md5Hex(s, 8)
	}
	s = strings.ToLower(s)
	s = disallowedChars.ReplaceAllLiteralString(s, "-")
	s = multipleDashes.ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if !helmRelease.MatchString(s) || !dnsLabel.MatchString(s) {
		return md5Hex(original, 24)
	}
	return limit(s, fleet.MaxHelmReleaseNameLen)
}

// limit cuts s to n characters, the last 5 of them a checksum of s after a dash (no second dash
// when the cut already ends in one).
func limit(s string, n int) string {
	const hexLen = 5
	if len(s) <= n {
		return s
	}
	if n <= hexLen+1 {
		return s[:n]
	}
	keep := n - hexLen - 1
	sep := "-"
	if s[keep-1] == '-' {
		sep = ""
	}
	return s[:keep] + sep + md5Hex(s, hexLen)
}

func md5Hex(s string, n int) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // a name checksum, as Fleet's
	return hex.EncodeToString(sum[:])[:n]
}

// A check is one rule examples/fleet must follow.
type check struct {
	name string
	fn   func(*repo) error
}

var checks = []check{
	{"every fleet.yaml is a path of the GitRepo", checkPaths},
	{"bundle names are valid and unique", checkNames},
	{"dependsOn resolves to one install order", func(r *repo) error { _, err := installOrder(r); return err }},
	{"acceptedStates are Fleet bundle states", checkAcceptedStates},
	{"compare patches match manifests and cover every claim", checkComparePatches},
	{"target customizations select clusters and name their overlays", checkTargetCustomizations},
	{"chart versions and package references are exact", checkPins},
	{"manifests of Kubernetes' own kinds decode strictly", checkBuiltInKinds},
}

// checkAll runs every check and returns all their errors.
func checkAll(r *repo) error {
	var errs []error
	for _, c := range checks {
		if err := c.fn(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// checkPaths: every fleet.yaml under examples/fleet is a bundle of the GitRepo; one left out
// would never be deployed, and its dependents would wait for it forever.
func checkPaths(r *repo) error {
	var errs []error
	err := fs.WalkDir(r.fsys, examplesDir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Base(name) != fleetYAML {
			return nil
		}
		dir := path.Dir(name)
		if !slices.ContainsFunc(r.bundles, func(b *bundle) bool { return b.path == dir }) {
			errs = append(errs, fmt.Errorf("%s is not in the GitRepo's paths", dir))
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// checkNames: Fleet uses a bundle's name as a Kubernetes name and as the default Helm release
// name (at most 53 characters), and two bundles of one name overwrite each other.
func checkNames(r *repo) error {
	var errs []error
	seen := map[string]string{}
	for _, b := range r.bundles {
		if msgs := validation.IsDNS1123Label(b.name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: bundle name %q: %s", b.path, b.name, strings.Join(msgs, "; ")))
		}
		if len(b.name) > fleet.MaxHelmReleaseNameLen {
			errs = append(errs, fmt.Errorf("%s: bundle name %q is longer than %d characters", b.path, b.name, fleet.MaxHelmReleaseNameLen))
		}
		if other, ok := seen[b.name]; ok {
			errs = append(errs, fmt.Errorf("%s and %s are both bundle %q", other, b.path, b.name))
		}
		seen[b.name] = b.path
	}
	return errors.Join(errs...)
}

// bundleLabels are the labels Fleet's agent matches a dependsOn entry against: the bundle's own
// (fleet.yaml `labels`) and the bundle name, namespace and GitRepo that Fleet adds.
func (r *repo) bundleLabels(b *bundle) labels.Set {
	l := labels.Set{}
	for k, v := range b.spec.Labels {
		l[k] = v
	}
	l[fleet.RepoLabel] = r.gitRepo.Name
	l[fleet.BundleLabel] = b.name
	l[fleet.BundleNamespaceLabel] = r.gitRepo.Namespace
	return l
}

// dependencies returns, per bundle name, the bundles it waits for. It resolves each dependsOn
// entry the way Fleet's agent does (checkDependency in internal/cmd/agent/deployer/deployer.go):
// `name` is short for the selector {fleet.cattle.io/bundle-name: name,
// fleet.cattle.io/bundle-namespace: <the GitRepo's namespace>}, combined with `selector` if
// both are set. An entry that matches no bundle of the GitRepo is an error: Fleet would wait for
// it forever.
func dependencies(r *repo) (map[string][]string, error) {
	deps := map[string][]string{}
	var errs []error
	for _, b := range r.bundles {
		for i, d := range b.spec.DependsOn {
			if d.Name == "" && d.Selector == nil {
				// Fleet's own rule (internal/bundlereader/validate_fleetyaml.go).
				errs = append(errs, fmt.Errorf("%s: dependsOn[%d] has neither name nor selector", b.name, i))
				continue
			}
			ls := &metav1.LabelSelector{}
			if d.Selector != nil {
				ls = d.Selector.DeepCopy()
			}
			if d.Name != "" {
				ls = metav1.AddLabelToSelector(ls, fleet.BundleLabel, d.Name)
				ls = metav1.AddLabelToSelector(ls, fleet.BundleNamespaceLabel, r.gitRepo.Namespace)
			}
			sel, err := metav1.LabelSelectorAsSelector(ls)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: dependsOn[%d]: %w", b.name, i, err))
				continue
			}
			var matched []string
			for _, other := range r.bundles {
				if sel.Matches(r.bundleLabels(other)) {
					matched = append(matched, other.name)
				}
			}
			if len(matched) == 0 {
				errs = append(errs, fmt.Errorf("%s: dependsOn[%d] (%s) matches no bundle of the GitRepo (bundles: %s)",
					b.name, i, sel, strings.Join(r.names(), ", ")))
				continue
			}
			deps[b.name] = append(deps[b.name], matched...)
		}
	}
	return deps, errors.Join(errs...)
}

func (r *repo) names() []string {
	var names []string
	for _, b := range r.bundles {
		names = append(names, b.name)
	}
	return names
}

// installOrder returns the order in which Fleet installs the bundles on a cluster. It fails on a
// cycle, and when two bundles could go in either order: the examples are one chain, each
// bundle waiting, directly or through others, for the one before it.
func installOrder(r *repo) ([]string, error) {
	deps, err := dependencies(r)
	if err != nil {
		return nil, err
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(r.bundles) {
		var ready []string
		for _, b := range r.bundles {
			if !done[b.name] && !slices.ContainsFunc(deps[b.name], func(d string) bool { return !done[d] }) {
				ready = append(ready, b.name)
			}
		}
		switch len(ready) {
		case 0:
			var waiting []string
			for _, b := range r.bundles {
				if !done[b.name] {
					waiting = append(waiting, fmt.Sprintf("%s waits for %v", b.name, deps[b.name]))
				}
			}
			return order, fmt.Errorf("dependsOn has a cycle: %s", strings.Join(waiting, "; "))
		case 1:
		default:
			return order, fmt.Errorf("%s can be installed in any order after %v: make each wait for the one before it", strings.Join(ready, ", "), order)
		}
		order = append(order, ready[0])
		done[ready[0]] = true
	}
	return order, nil
}

// checkAcceptedStates: every acceptedStates entry is a state Fleet knows (the keys of its
// StateRank, which Fleet's own fleet.yaml validation checks against), and a list that leaves out
// Ready would make a fully ready dependency block.
func checkAcceptedStates(r *repo) error {
	var errs []error
	for _, b := range r.bundles {
		for i, d := range b.spec.DependsOn {
			for _, s := range d.AcceptedStates {
				if _, ok := fleet.StateRank[s]; !ok {
					errs = append(errs, fmt.Errorf("%s: dependsOn[%d]: %q is not a Fleet bundle state (%v)", b.name, i, s, bundleStates()))
				}
			}
			if len(d.AcceptedStates) > 0 && !slices.Contains(d.AcceptedStates, fleet.Ready) {
				errs = append(errs, fmt.Errorf("%s: dependsOn[%d]: acceptedStates %v leaves out Ready", b.name, i, d.AcceptedStates))
			}
		}
	}
	return errors.Join(errs...)
}

func bundleStates() []fleet.BundleState {
	var states []fleet.BundleState
	for s := range fleet.StateRank {
		states = append(states, s)
	}
	slices.SortFunc(states, func(a, b fleet.BundleState) int { return fleet.StateRank[a] - fleet.StateRank[b] })
	return states
}

var jsonPointer = regexp.MustCompile(`^(/([^~/]|~[01])*)+$`)

// A scopedPatch is a compare patch with where it applies: "" for every cluster (fleet.yaml's
// diff), else the target customization it belongs to.
type scopedPatch struct {
	fleet.ComparePatch
	target *fleet.BundleTarget
}

func (p scopedPatch) where() string {
	if p.target == nil {
		return "diff"
	}
	return "targetCustomization " + p.target.Name
}

// matches reports whether the patch applies to o: the same apiVersion and kind, and the same
// name and namespace where the patch names them.
func (p scopedPatch) matches(o object) bool {
	return p.APIVersion == o.u.GetAPIVersion() && p.Kind == o.u.GetKind() &&
		(p.Name == "" || p.Name == o.u.GetName()) &&
		(p.Namespace == "" || p.Namespace == o.u.GetNamespace())
}

// appliesTo reports whether the patch is in force where o is deployed: fleet.yaml's diff
// everywhere, a target customization's only on its clusters, where its overlays deploy.
func (p scopedPatch) appliesTo(o object) bool {
	if p.target == nil {
		return true
	}
	return o.overlay() != "" && p.target.YAML != nil && slices.Contains(p.target.YAML.Overlays, o.overlay())
}

func patches(b *bundle) []scopedPatch {
	var ps []scopedPatch
	if b.spec.Diff != nil {
		for _, p := range b.spec.Diff.ComparePatches {
			ps = append(ps, scopedPatch{ComparePatch: p})
		}
	}
	for i := range b.spec.TargetCustomizations {
		t := &b.spec.TargetCustomizations[i]
		if t.Diff != nil {
			for _, p := range t.Diff.ComparePatches {
				ps = append(ps, scopedPatch{ComparePatch: p, target: t})
			}
		}
	}
	return ps
}

// checkComparePatches: a compare patch that matches no manifest of its bundle ignores nothing
// (a typo in its kind or apiVersion goes unnoticed), and every claim a bundle deploys must be
// covered, wherever it is deployed, by patches that ignore all of crossplaneClaimFields.
func checkComparePatches(r *repo) error {
	var errs []error
	for _, b := range r.bundles {
		for _, p := range patches(b) {
			where := fmt.Sprintf("%s: %s compare patch %s %s", b.name, p.where(), p.APIVersion, p.Kind)
			if p.APIVersion == "" || p.Kind == "" {
				errs = append(errs, fmt.Errorf("%s: needs apiVersion and kind", where))
			}
			if !slices.ContainsFunc(b.objects, p.matches) {
				errs = append(errs, fmt.Errorf("%s (name %q, namespace %q) matches no manifest of the bundle", where, p.Name, p.Namespace))
			}
			if len(p.JsonPointers) == 0 && len(p.Operations) == 0 {
				errs = append(errs, fmt.Errorf("%s has neither jsonPointers nor operations", where))
			}
			for _, ptr := range p.JsonPointers {
				if !jsonPointer.MatchString(ptr) {
					errs = append(errs, fmt.Errorf("%s: %q is not a JSON pointer", where, ptr))
				}
			}
			for _, op := range p.Operations {
				if op.Op != fleet.IgnoreOp && !jsonPointer.MatchString(op.Path) {
					errs = append(errs, fmt.Errorf("%s: operation %q needs a JSON pointer path, got %q", where, op.Op, op.Path))
				}
			}
		}
		for _, o := range b.objects {
			if !slices.Contains(r.claims, o.u.GroupVersionKind()) {
				continue
			}
			ignored := map[string]bool{}
			covered := false
			for _, p := range patches(b) {
				if p.matches(o) && p.appliesTo(o) {
					covered = true
					for _, ptr := range p.JsonPointers {
						ignored[ptr] = true
					}
					// Fleet applies operations only to the object the patch names exactly
					// (internal/cmd/agent/deployer/normalizers/jsonpatch.go).
					if p.Name == o.u.GetName() && p.Namespace == o.u.GetNamespace() {
						for _, op := range p.Operations {
							ignored[op.Path] = ignored[op.Path] || op.Op == "remove"
						}
					}
				}
			}
			if !covered {
				errs = append(errs, fmt.Errorf("%s: claim %s is not covered by any compare patch", b.name, o))
				continue
			}
			var missing []string
			for _, f := range crossplaneClaimFields {
				if !ignored[f] {
					missing = append(missing, f)
				}
			}
			if len(missing) > 0 {
				errs = append(errs, fmt.Errorf("%s: claim %s: its compare patches do not ignore %v, which Crossplane writes", b.name, o, missing))
			}
		}
	}
	return errors.Join(errs...)
}

// checkTargetCustomizations: each customization has a name (Fleet shows it; without one it is
// "target000"), selects clusters by name, group or a non-empty selector (an empty selector
// matches every cluster and hides every customization after it), and each overlay it names is a
// folder overlays/<name>/ of the bundle; every overlay folder is used by some customization.
func checkTargetCustomizations(r *repo) error {
	var errs []error
	for _, b := range r.bundles {
		used := map[string]bool{}
		names := map[string]bool{}
		for i, t := range b.spec.TargetCustomizations {
			where := fmt.Sprintf("%s: targetCustomizations[%d] %q", b.name, i, t.Name)
			switch {
			case t.Name == "":
				errs = append(errs, fmt.Errorf("%s has no name", where))
			case names[t.Name]:
				errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
			}
			names[t.Name] = true
			for _, s := range []*metav1.LabelSelector{t.ClusterSelector, t.ClusterGroupSelector} {
				if s == nil {
					continue
				}
				if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
					errs = append(errs, fmt.Errorf("%s: an empty selector matches every cluster", where))
				}
				if _, err := metav1.LabelSelectorAsSelector(s); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", where, err))
				}
			}
			if t.ClusterName == "" && t.ClusterGroup == "" && t.ClusterSelector == nil && t.ClusterGroupSelector == nil {
				errs = append(errs, fmt.Errorf("%s selects no cluster: it needs clusterName, clusterGroup, clusterSelector or clusterGroupSelector", where))
			}
			if t.YAML == nil {
				continue
			}
			for _, o := range t.YAML.Overlays {
				used[o] = true
				if !slices.ContainsFunc(b.objects, func(obj object) bool { return obj.overlay() == o }) {
					errs = append(errs, fmt.Errorf("%s: overlay %q has no manifests in %s/%s/%s/", where, o, b.path, overlaysDir, o))
				}
			}
		}
		for _, o := range b.objects {
			if ov := o.overlay(); ov != "" && !used[ov] {
				errs = append(errs, fmt.Errorf("%s: no target customization uses overlay %q (%s)", b.name, ov, o.file))
				used[ov] = true
			}
		}
	}
	return errors.Join(errs...)
}

var (
	exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	digest       = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// checkPins: Helm charts and Crossplane packages are pinned to exact versions, so that nothing
// changes on a cluster without a change in Git.
func checkPins(r *repo) error {
	var errs []error
	for _, b := range r.bundles {
		helms := []*fleet.HelmOptions{b.spec.Helm}
		for _, t := range b.spec.TargetCustomizations {
			helms = append(helms, t.Helm)
		}
		for _, h := range helms {
			if h != nil && h.Chart != "" && !exactVersion.MatchString(h.Version) {
				errs = append(errs, fmt.Errorf("%s: chart %s version %q is not an exact version", b.name, h.Chart, h.Version))
			}
		}
		for _, o := range b.objects {
			if o.u.GroupVersionKind().Group != "pkg.crossplane.io" {
				continue
			}
			ref, found, _ := unstructured.NestedString(o.u.Object, "spec", "package")
			if !found {
				continue
			}
			if v := packageVersion(ref); !exactVersion.MatchString(v) && !digest.MatchString(v) {
				errs = append(errs, fmt.Errorf("%s: %s: package %q is not pinned to an exact version or digest", b.name, o, ref))
			}
		}
	}
	return errors.Join(errs...)
}

// packageVersion returns the tag or digest of an OCI reference, "" if it has neither.
func packageVersion(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return ""
}

// builtInTypes are the Go types of the Kubernetes kinds the bundles deploy. These have no CRD for
// `crossplane beta validate` to check them against, so they are decoded strictly here. A manifest
// of another built-in kind needs its type added.
var builtInTypes = map[schema.GroupVersionKind]func() any{
	corev1.SchemeGroupVersion.WithKind("Namespace"):          func() any { return &corev1.Namespace{} },
	corev1.SchemeGroupVersion.WithKind("Secret"):             func() any { return &corev1.Secret{} },
	corev1.SchemeGroupVersion.WithKind("ConfigMap"):          func() any { return &corev1.ConfigMap{} },
	rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"): func() any { return &rbacv1.ClusterRoleBinding{} },
	rbacv1.SchemeGroupVersion.WithKind("ClusterRole"):        func() any { return &rbacv1.ClusterRole{} },
}

// builtInGroup reports whether group is one of Kubernetes' own API groups.
func builtInGroup(group string) bool {
	return group == "" || strings.HasSuffix(group, ".k8s.io") ||
		slices.Contains([]string{"apps", "batch", "policy", "autoscaling"}, group)
}

// checkBuiltInKinds: manifests of Kubernetes' own kinds hold no field their types do not know.
func checkBuiltInKinds(r *repo) error {
	var errs []error
	for _, b := range r.bundles {
		for _, o := range b.objects {
			gvk := o.u.GroupVersionKind()
			if !builtInGroup(gvk.Group) {
				continue
			}
			newType, ok := builtInTypes[gvk]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s: no Go type to check %s against; add it to builtInTypes", b.name, o, gvk))
				continue
			}
			j, err := json.Marshal(o.u.Object)
			if err == nil {
				err = decodeStrict(j, newType())
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", b.name, o, err))
			}
		}
	}
	return errors.Join(errs...)
}
