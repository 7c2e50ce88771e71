#!/usr/bin/env bash
# Fails when a generated file differs from what `make generate` would write now: it copies the
# tree to a temporary directory, generates there and compares.
set -euo pipefail
controller_gen=$1
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar -cf - --null -T - | tar -xf - -C "$tmp"
hack/generate.sh "$controller_gen" "$tmp" >/dev/null

generated=(
  apis/input/v1beta1/zz_generated.deepcopy.go
  apis/tenant/v1alpha1/zz_generated.deepcopy.go
  package/input/tenantcluster.fn.crossplane.io_inputs.yaml
  apis/definition.yaml
  examples/v2/definition.yaml
  examples/v2/composition.yaml
)
stale=0
for f in "${generated[@]}"; do
  if ! diff -u "$root/$f" "$tmp/$f"; then
    stale=1
  fi
done
if [ "$stale" -ne 0 ]; then
  echo "Generated files are stale: run 'make generate' and commit the result." >&2
  exit 1
fi
echo "Generated files are up to date."
