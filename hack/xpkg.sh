#!/usr/bin/env bash
# Builds both packages at one version (make xpkg, make check-packages):
#  - the Function package: package/ (its metadata and the Input CRD), with the runtime image
#    tarball embedded when one is given;
#  - the Configuration package: crossplane.yaml and the XRD and Composition in apis/, depending on
#    the function at exactly this version (its functionRef named as Crossplane names the
#    dependency it installs), with the example claims as its examples.
# Usage: hack/xpkg.sh <crossplane> <version> <function package name> <image tarball or ""> <out dir>
set -euo pipefail
crossplane=$1 version=$2 function=$3 image=$4 out=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/no-examples" "$tmp/configuration/apis" "$tmp/configuration-examples"

embed=()
if [ -n "$image" ]; then
  embed=(--embed-runtime-image-tarball="$image")
fi
"$crossplane" xpkg build --package-root=package --examples-root="$tmp/no-examples" "${embed[@]}" \
  -o "$out/function-tenantcluster-$version.xpkg"

# The function dependency is the one place its version is written: this one.
awk -v fn="$function" -v version="$version" '
  $0 ~ "- function: " { print "    - function: " fn; pin = 1; next }
  pin && $1 == "version:" { print "      version: \"" version "\""; pin = 0; next }
  { print }
' crossplane.yaml > "$tmp/configuration/crossplane.yaml"
grep -q "version: \"$version\"" "$tmp/configuration/crossplane.yaml" ||
  { echo "crossplane.yaml has no function dependency to pin" >&2; exit 1; }
cp apis/definition.yaml "$tmp/configuration/apis/"
# Crossplane installs a dependency under its repository path as a DNS label
# (xpkg.crossplane.io/tenantcluster/function-tenantcluster -> tenantcluster-function-tenantcluster):
# the Composition's functionRef must be that name, whichever registry the packages are built for.
repository=${function#*/}
fnref=$(printf '%s' "$repository" | sed -E 's#[./:]#-#g; s#[^a-z0-9-]##g; s#^-+##; s#-+$##' | cut -c1-63)
# Its CompositionRevisions carry the package version as a label, so a platform can hold tenants on
# a version (compositionUpdatePolicy: Manual, compositionRevisionSelector; docs/upgrading.md).
awk -v name="$fnref" -v version="$version" '
  $1 == "tenantcluster.io/api:" { print; print "    app.kubernetes.io/version: \"" version "\""; next }
  $1 == "functionRef:" { ref = 1; print; next }
  ref && $1 == "name:" { sub(/name: .*/, "name: " name); ref = 0 }
  { print }
' apis/composition.yaml > "$tmp/configuration/apis/composition.yaml"
grep -q "name: $fnref\$" "$tmp/configuration/apis/composition.yaml" ||
  { echo "apis/composition.yaml has no functionRef to name" >&2; exit 1; }
grep -q "app.kubernetes.io/version: \"$version\"" "$tmp/configuration/apis/composition.yaml" ||
  { echo "apis/composition.yaml has no tenantcluster.io/api label to add the version beside" >&2; exit 1; }
cp examples/claims/*.yaml "$tmp/configuration-examples/"
"$crossplane" xpkg build --package-root="$tmp/configuration" --examples-root="$tmp/configuration-examples" \
  -o "$out/configuration-tenantcluster-$version.xpkg"
echo "Built $out/function-tenantcluster-$version.xpkg ($(du -h "$out/function-tenantcluster-$version.xpkg" | cut -f1))" \
  "and $out/configuration-tenantcluster-$version.xpkg ($(du -h "$out/configuration-tenantcluster-$version.xpkg" | cut -f1))."
