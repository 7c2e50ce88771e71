// Tools module: builds the pinned `govulncheck` (golang.org/x/vuln); separate module so its x/tools pin never touches the main go.mod or other tools.
module github.com/tenantcluster/function-tenantcluster/test/tools/govulncheck

go 1.26

tool golang.org/x/vuln/cmd/govulncheck

require (
	golang.org/x/mod v0.22.0 // indirect
	golang.org/x/sync v0.10.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
	golang.org/x/telemetry v0.0.0-20240522233618-39ace7a40ae7 // indirect
	golang.org/x/tools v0.29.0 // indirect
	golang.org/x/vuln v1.1.4 // indirect
)
