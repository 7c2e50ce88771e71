#!/usr/bin/env bash
# Validates, offline, with `crossplane beta validate` (the API server's own validation library:
# schema, unknown fields, CEL rules):
# - the example claims and XRs, and the manifests of the Fleet bundles, against the XRDs generated
#   from apis/ and the CRDs of the packages they install;
# - every resource they render against the real upstream CRDs in ../shared/crds, and every
#   manifest a provider-kubernetes Object applies (Rancher's, the logging-operator's and the Prometheus operator's resources) against the CRDs of the
#   cluster it lands on; core Kubernetes kinds have no CRD and are reported as skipped.
# `beta validate` wants Crossplane's own CRDs from the Crossplane image; they are in ../shared too,
# so they are put where its cache would hold them and nothing is downloaded.
set -euo pipefail
crossplane=$1
shared=$2
rendered=$3
version=$("$crossplane" version --client | awk '{print $NF}')
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

core="$cache/xpkg.crossplane.io/crossplane/crossplane@$version"
mkdir -p "$core"
for f in "$shared"/crds/crossplane/*.yaml; do
  cat "$f"
  echo '---'
done > "$core/package.yaml"

extensions="$shared/crds/provider-kubernetes,$shared/crds/provider-helm,$shared/crds/rancher,$shared/crds/logging-operator,$shared/crds/prometheus-operator,$shared/crds/prometheus-federator,apis/definition.yaml,examples/v2/definition.yaml"
resources="$rendered,examples/claims,examples/xr.yaml,examples/v2/tenantcluster.yaml"
# The Fleet bundles' manifests (packages, ProviderConfigs, claims); fleet.yaml and the GitRepo are
# Fleet's own, decoded strictly with Fleet's Go types by `make fleet`.
resources="$resources,$(find examples/fleet -name '*.yaml' ! -name fleet.yaml ! -name gitrepo.yaml | sort | paste -sd, -)"
"$crossplane" beta validate --cache-dir "$cache" \
  --crossplane-image "xpkg.crossplane.io/crossplane/crossplane:$version" \
  "$extensions" "$resources"
