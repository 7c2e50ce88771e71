# function-tenantcluster: every entry point of the project. `make help` lists them.
# Tools are built from exact versions in their own modules under test/tools/ (one per tool, so
# their dependencies never enter the function's module graph) into bin/.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/test/tools
FUNCTION := $(BIN)/function-tenantcluster
CROSSPLANE := $(BIN)/crossplane
CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint
GOVULNCHECK := $(BIN)/govulncheck
# The e2e control plane's programs (test/e2e): built from exact versions like the tools.
E2E_BIN := $(BIN)/e2e
E2E_BINS := $(E2E_BIN)/etcd $(E2E_BIN)/kube-apiserver $(E2E_BIN)/kube-controller-manager $(E2E_BIN)/kubectl $(E2E_BIN)/crossplane $(E2E_BIN)/provider-kubernetes \
	$(E2E_BIN)/provider-helm $(E2E_BIN)/charts/index.yaml $(E2E_BIN)/monitoring-charts/index.yaml
GO_SOURCES := $(shell find . -name '*.go' -not -path './test/*' -not -path './bin/*') go.mod go.sum

# make render CLAIM=<claim files or dirs, comma-separated> OBSERVED=<files or dirs, comma-separated, layered>
CLAIM ?= examples/claims
RANCHER_STEPS := examples/observed/rancher
OBSERVED ?=

# The packages' version: the image tag, both xpkgs' file names and the Configuration's dependency
# on the function all come from here.
VERSION ?= v0.0.0-dev
REGISTRY ?= xpkg.crossplane.io/tenantcluster
XPKG_DIR := $(BIN)/xpkg

.PHONY: image xpkg help build generate check-generated check-packages test vet fleet chart render validate lint vuln fuzz bench bench-check tools clean e2e e2e-bins demo

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: $(FUNCTION) ## Build the function binary into bin/.

$(FUNCTION): $(GO_SOURCES)
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ .

generate: $(CONTROLLER_GEN) ## Regenerate deepcopy, the Input CRD, the XRDs and the v2 Composition from apis/.
	hack/generate.sh "$(CONTROLLER_GEN)" .

check-generated: $(CONTROLLER_GEN) ## Fail when generated files are stale (run `make generate`).
	hack/check-generated.sh "$(CONTROLLER_GEN)"

vet: ## go vet.
	$(GO) vet ./...

# The project's shared files (vcluster values schemas, upstream CRDs, vulnerability database):
# beside the clone, as in CI, unless SHARED=<path> says otherwise.
SHARED ?= $(CURDIR)/../shared

test: vet check-generated fleet chart ## What CI runs: vet, stale-generation check, Fleet bundles, the real chart, unit and render tests (SHARED=<path> if ../shared is elsewhere).
	TENANTCLUSTER_SHARED="$(abspath $(SHARED))" $(GO) test -count=1 ./...

chart: ## Render the real vcluster chart with the function's values and judge what it makes with upstream code (test/chart).
	cd test/chart && $(GO) vet ./... && $(GO) test -count=1 ./...

fleet: ## Check examples/fleet against Rancher Fleet's own Go types: strict decoding, bundle order (test/fleet).
	cd test/fleet && $(GO) vet ./... && $(GO) test -count=1 ./...

# stdout carries only the rendered YAML: building the binaries (and make's echo of it) goes to stderr.
render: ## Render CLAIM (default: every claim in examples/claims) with optional OBSERVED state.
	@$(MAKE) --no-print-directory $(FUNCTION) $(CROSSPLANE) >&2
	@$(GO) build -o $(BIN)/render ./hack/render >&2
	@$(BIN)/render -function "$(FUNCTION)" -crossplane "$(CROSSPLANE)" -claim "$(CLAIM)" -observed "$(OBSERVED)" $(RENDER_FLAGS)

validate: ## Validate the examples and everything they render against the XRDs and the upstream CRDs in ../shared, offline.
	@$(MAKE) --no-print-directory render RENDER_FLAGS="-include-full-xr -include-embedded" \
		CLAIM=examples/claims,examples/xr.yaml,examples/v2/tenantcluster.yaml > $(BIN)/rendered.yaml
	@# The whole Rancher registration, legacy claim and namespaced XR: registering, then connected.
	@for claim in examples/claims/full.yaml examples/v2/tenantcluster.yaml; do for last in 2-registering 3-connected; do \
		$(MAKE) --no-print-directory render RENDER_FLAGS="-include-full-xr -include-embedded" CLAIM=$$claim \
			OBSERVED=$(RANCHER_STEPS)/0-deployed,$(RANCHER_STEPS)/1-cluster,$(RANCHER_STEPS)/2-registering$$( [ $$last = 3-connected ] && echo ,$(RANCHER_STEPS)/3-connected) \
			>> $(BIN)/rendered.yaml || exit 1; \
	done; done
	hack/validate.sh "$(CROSSPLANE)" "$(SHARED)" "$(BIN)/rendered.yaml"

vuln: $(GOVULNCHECK) ## Scan for reachable vulnerabilities with govulncheck against the offline database in ../shared/vulndb.
	$(GOVULNCHECK) -db file://$(abspath $(SHARED))/vulndb ./...

check-packages: $(CROSSPLANE) ## Build both xpkgs (without a runtime image) to check that Crossplane accepts their contents.
	hack/xpkg.sh "$(CROSSPLANE)" "$(VERSION)" "$(REGISTRY)/function-tenantcluster" "" "$(BIN)/check-packages"

image: ## Build the function's runtime image as an OCI tarball, no container engine (VERSION=vX.Y.Z).
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '-s -w' -o $(XPKG_DIR)/function-tenantcluster .
	@# The image's user, entrypoint and ports are held to the Dockerfile's first.
	cd $(TOOLS)/image && $(GO) test -count=1 -skip TestBuiltPackages . && $(GO) build -o $(BIN)/image .
	$(BIN)/image -binary $(XPKG_DIR)/function-tenantcluster -version $(VERSION) \
		-tag $(REGISTRY)/function-tenantcluster:$(VERSION) -o $(XPKG_DIR)/function-tenantcluster-$(VERSION).image.tar

xpkg: image $(CROSSPLANE) ## Build the Function (image embedded) and Configuration packages into bin/xpkg (VERSION=vX.Y.Z).
	hack/xpkg.sh "$(CROSSPLANE)" "$(VERSION)" "$(REGISTRY)/function-tenantcluster" \
		"$(XPKG_DIR)/function-tenantcluster-$(VERSION).image.tar" "$(XPKG_DIR)"
	@# Inspect what was built: the embedded runtime image, the package metadata, the dependency.
	cd $(TOOLS)/image && XPKG_DIR="$(XPKG_DIR)" VERSION="$(VERSION)" $(GO) test -count=1 -run TestBuiltPackages -v . | grep -E '^(---|ok|FAIL)' 
	@# And as the crossplane CLI reads it: the Configuration's dependencies. awk reads to the end:
	@# leaving early would kill zcat with SIGPIPE once the package outgrows a pipe's buffer.
	@$(CROSSPLANE) xpkg extract --from-xpkg $(XPKG_DIR)/configuration-tenantcluster-$(VERSION).xpkg -o $(XPKG_DIR)/configuration-tenantcluster-$(VERSION).gz
	@zcat $(XPKG_DIR)/configuration-tenantcluster-$(VERSION).gz | awk '/^  dependsOn:/ { on = 1 } on && /^---/ { on = 0; done = 1 } on && !done'

BENCHCOUNT ?= 5
LOAD_DURATION ?= 10s
LOAD_STREAMS ?= 1,32
bench: $(FUNCTION) ## Benchmark RunFunction in process and under gRPC load beside a floor function; write the tables into docs/performance.md.
	$(GO) test ./fn -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) | tee $(BIN)/bench.txt
	$(GO) run ./hack/benchtable -doc docs/performance.md < $(BIN)/bench.txt
	$(GO) run ./hack/loadrun -function $(FUNCTION) -doc docs/performance.md -streams $(LOAD_STREAMS) -duration $(LOAD_DURATION)

bench-check: $(FUNCTION) ## What CI runs of make bench: every benchmark once and a 1 s load, into a copy of the document (the numbers are not kept).
	@mkdir -p $(BIN)
	$(GO) test ./fn -run '^$$' -bench . -benchmem -benchtime 1x > $(BIN)/bench-check.txt
	cp docs/performance.md $(BIN)/performance-check.md
	$(GO) run ./hack/benchtable -doc $(BIN)/performance-check.md < $(BIN)/bench-check.txt
	$(GO) run ./hack/loadrun -function $(FUNCTION) -doc $(BIN)/performance-check.md -streams 1,4 -duration 1s
	@grep -q 'RunFunction/full/3-connected' $(BIN)/performance-check.md && grep -q '| floor | 4 |' $(BIN)/performance-check.md

FUZZTIME ?= 30s
fuzz: ## Fuzz RunFunction for FUZZTIME (default 30s).
	$(GO) test ./fn -run '^$$' -fuzz '^FuzzRunFunction$$' -fuzztime $(FUZZTIME)

lint: $(GOLANGCI_LINT) ## golangci-lint (config: .golangci.yml) on the function and the e2e harness.
	$(GOLANGCI_LINT) run ./...
	cd test/e2e && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd $(TOOLS)/image && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd test/fleet && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd test/chart && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...

# The e2e suite and the demo run a real control plane on loopback (test/e2e/README.md).
E2E_TIMEOUT ?= 30m
e2e: e2e-bins ## End-to-end scenarios on a real local control plane (etcd, kube-apiserver, Crossplane, provider-kubernetes).
	@# One package, so the scenarios' progress streams; vet covers the harness and the demo.
	cd test/e2e && $(GO) vet ./... && TENANTCLUSTER_SHARED="$(abspath $(SHARED))" $(GO) test -count=1 -timeout $(E2E_TIMEOUT) -v . $(E2E_FLAGS)

demo: e2e-bins ## Start the local control plane, create the example tenant and watch it become ready (Ctrl-C stops everything).
	cd test/e2e && $(GO) build -o $(BIN)/demo ./cmd/demo
	$(BIN)/demo -repo "$(CURDIR)" -shared "$(abspath $(SHARED))" -claim "$(or $(DEMO_CLAIM),examples/claims/full.yaml)"

# The packages' versions the e2e installs and then upgrades to (controlplane.Versions).
E2E_VERSIONS := v0.1.0 v0.1.1
e2e-bins: $(CROSSPLANE) $(E2E_BINS) ## Build the control plane's programs and the packages it installs into bin/e2e/.
	@for v in $(E2E_VERSIONS); do $(MAKE) --no-print-directory xpkg VERSION=$$v XPKG_DIR=$(E2E_BIN)/xpkg; done

$(E2E_BIN)/etcd: $(TOOLS)/etcd/go.mod $(TOOLS)/etcd/main.go
	cd $(TOOLS)/etcd && $(GO) build -trimpath -o $@ .

# The API server tells clients its version as Kubernetes' release builds stamp it: Helm refuses a
# chart whose kubeVersion (kube-prometheus-stack: >=1.25) the unstamped v0.0.0-master fails.
KUBE_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" {print $$2}' $(TOOLS)/kubernetes/go.mod)
KUBE_VERSION_FLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=$(word 2,$(subst ., ,$(KUBE_VERSION:v%=x.%))) \
	-X k8s.io/component-base/version.gitMinor=$(word 3,$(subst ., ,$(KUBE_VERSION:v%=x.%)))
$(E2E_BIN)/kube-apiserver: $(TOOLS)/kubernetes/go.mod
	cd $(TOOLS)/kubernetes && $(GO) build -trimpath -ldflags '$(KUBE_VERSION_FLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(E2E_BIN)/kube-controller-manager: $(TOOLS)/kubernetes/go.mod
	cd $(TOOLS)/kubernetes && $(GO) build -trimpath -o $@ k8s.io/kubernetes/cmd/kube-controller-manager

$(E2E_BIN)/kubectl: $(TOOLS)/kubernetes/go.mod
	cd $(TOOLS)/kubernetes && $(GO) build -trimpath -o $@ k8s.io/kubernetes/cmd/kubectl

$(E2E_BIN)/crossplane: $(TOOLS)/crossplane/go.mod
	cd $(TOOLS)/crossplane && $(GO) build -trimpath -ldflags '-X github.com/crossplane/crossplane/v2/internal/version.version=v2.2.1' -o $@ github.com/crossplane/crossplane/v2/cmd/crossplane

$(E2E_BIN)/provider-kubernetes: $(TOOLS)/provider-kubernetes/go.mod
	cd $(TOOLS)/provider-kubernetes && $(GO) build -trimpath -o $@ github.com/crossplane-contrib/provider-kubernetes/cmd/provider

# Two defaults changed at link time, nothing else: provider-helm's chart cache (/tmp/charts, a
# pod's own folder in a cluster) becomes a folder of the run it is started in, and its metrics
# server (":8080", which provider-kubernetes already listens on here) is off.
$(E2E_BIN)/provider-helm: $(TOOLS)/provider-helm/go.mod
	cd $(TOOLS)/provider-helm && $(GO) build -trimpath -ldflags '-X github.com/crossplane-contrib/provider-helm/pkg/clients/helm.chartCache=charts -X sigs.k8s.io/controller-runtime/pkg/metrics/server.DefaultBindAddress=0' -o $@ github.com/crossplane-contrib/provider-helm/cmd/provider

# The vcluster chart's repository the e2e serves as https://charts.loft.sh: the pinned module's
# chart, packaged and indexed by Helm (test/chart/cmd/chartrepo).
$(E2E_BIN)/charts/index.yaml: test/chart/go.mod test/chart/go.sum test/chart/cmd/chartrepo/main.go
	rm -rf $(E2E_BIN)/charts
	cd test/chart && $(GO) run ./cmd/chartrepo -out $(E2E_BIN)/charts

# kube-prometheus-stack's repository, served as https://prometheus-community.github.io/helm-charts:
# the packaged chart of ../shared/charts at the Input's default version, indexed by Helm.
MONITORING_CHART := $(SHARED)/charts/kube-prometheus-stack-88.5.3.tgz
$(E2E_BIN)/monitoring-charts/index.yaml: $(MONITORING_CHART) test/chart/go.mod test/chart/go.sum test/chart/cmd/chartrepo/main.go
	rm -rf $(E2E_BIN)/monitoring-charts
	cd test/chart && $(GO) run ./cmd/chartrepo -chart $(abspath $(MONITORING_CHART)) -url https://prometheus-community.github.io/helm-charts -out $(E2E_BIN)/monitoring-charts

tools: $(CROSSPLANE) $(CONTROLLER_GEN) $(GOLANGCI_LINT) $(GOVULNCHECK) ## Build every pinned tool.

$(CROSSPLANE): $(TOOLS)/crossplane/go.mod
	@# The version stamp matters: `crossplane beta validate` derives its Crossplane image tag from it.
	cd $(TOOLS)/crossplane && $(GO) build -ldflags '-X github.com/crossplane/crossplane/v2/internal/version.version=v2.2.1' -o $@ github.com/crossplane/crossplane/v2/cmd/crank

$(CONTROLLER_GEN): $(TOOLS)/controller-gen/go.mod
	cd $(TOOLS)/controller-gen && $(GO) build -ldflags '-X sigs.k8s.io/controller-tools/pkg/version.version=v0.20.1' -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(GOLANGCI_LINT): $(TOOLS)/golangci-lint/go.mod
	cd $(TOOLS)/golangci-lint && $(GO) build -ldflags '-X main.version=2.4.0' -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

$(GOVULNCHECK): $(TOOLS)/govulncheck/go.mod
	cd $(TOOLS)/govulncheck && $(GO) build -o $@ golang.org/x/vuln/cmd/govulncheck

clean: ## Remove built binaries.
	rm -rf $(BIN)
