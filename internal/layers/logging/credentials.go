package logging

import (
	"github.com/tenantcluster/function-tenantcluster/internal/compose"
	"github.com/tenantcluster/function-tenantcluster/internal/tenant"
)

// copier brings the outputs' credentials into tenant.LogCredentialsSecret in the tenant's host
// namespace, where the logging-operator reads them (compose.Copier says how).
func copier(t *tenant.Tenant) compose.Copier {
	return compose.Copier{
		Layer: "logging", Suffix: "log-credentials", Secret: tenant.LogCredentialsSecret,
		Credentials: t.Logging.Credentials, Settings: t.Input.Logging.Credentials,
	}
}
