package controlplane

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
)

// CircuitBreakerOpens is how often Crossplane's XR circuit breaker has opened for TenantClusters
// (the circuit_breaker_opens_total metric): an open breaker drops the events that move a tenant
// on, so the e2e expects none.
func (cp *ControlPlane) CircuitBreakerOpens(ctx context.Context) (float64, error) {
	return cp.crossplaneMetric(ctx, "circuit_breaker_opens_total", `controller="composite/xtenantclusters.platform.tenantcluster.io"`)
}

// CircuitBreakerEvents is how many watch events have reached TenantClusters' breakers, allowed
// or dropped (circuit_breaker_events_total): what the burst must cover.
func (cp *ControlPlane) CircuitBreakerEvents(ctx context.Context) (float64, error) {
	return cp.crossplaneMetric(ctx, "circuit_breaker_events_total", `controller="composite/xtenantclusters.platform.tenantcluster.io"`)
}

// crossplaneMetric sums the samples of a metric whose labels contain match.
func (cp *ControlPlane) crossplaneMetric(ctx context.Context, name, match string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cp.crossplaneMetrics, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, match) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, sc.Err()
}
