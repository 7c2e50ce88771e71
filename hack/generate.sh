#!/usr/bin/env bash
# Writes every generated file under the repository root given as $2 from the Go types in apis/:
# deepcopy functions, the Input CRD (package/input/), the XRDs (apis/definition.yaml,
# examples/v2/definition.yaml) and the v2 Composition (examples/v2/composition.yaml).
set -euo pipefail
controller_gen=$1
root=$2
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$controller_gen" object:headerFile=hack/boilerplate.go.txt paths=./apis/...
"$controller_gen" crd:crdVersions=v1 paths=./apis/... output:crd:artifacts:config="$tmp"
mkdir -p package/input
cp "$tmp/tenantcluster.fn.crossplane.io_inputs.yaml" package/input/
go run ./hack/gen-xrd -crd "$tmp/platform.tenantcluster.io_xtenantclusters.yaml" -out .
