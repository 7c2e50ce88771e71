#!/usr/bin/env bash
# Builds the Function package (package/) and the Configuration package (crossplane.yaml + the
# XRD and Composition in apis/) with `crossplane xpkg build`, which parses and checks every object
# in them. No runtime image is embedded here; `make xpkg` does that.
set -euo pipefail
crossplane=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$crossplane" xpkg build --package-root=package -o "$tmp/function.xpkg"
mkdir -p "$tmp/configuration/apis"
cp crossplane.yaml "$tmp/configuration/"
cp apis/definition.yaml apis/composition.yaml "$tmp/configuration/apis/"
"$crossplane" xpkg build --package-root="$tmp/configuration" -o "$tmp/configuration.xpkg"
echo "Both packages build: $(du -h "$tmp/function.xpkg" | cut -f1) function, $(du -h "$tmp/configuration.xpkg" | cut -f1) configuration."
