// Command benchtable reads `go test -bench -benchmem` output on stdin and writes it as a
// Markdown table into a document, between the markers
//
//	<!-- bench:begin --> and <!-- bench:end -->
//
// with the machine (goos, goarch, cpu, the CPUs Go sees), the Go version and the date. With
// -count above 1 each figure is the median of the runs. Nothing in the table is typed in by hand:
// `make bench` runs the benchmarks and this command.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantcluster/function-tenantcluster/internal/docsection"
)

const (
	begin = "<!-- bench:begin -->"
	end   = "<!-- bench:end -->"
)

// result is one benchmark's runs.
type result struct {
	nsPerOp, bytesPerOp, allocsPerOp, mbPerS []float64
}

func main() {
	doc := flag.String("doc", "docs/performance.md", "the document to write the table into")
	flag.Parse()
	if err := run(os.Stdin, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, doc string) error {
	machine, order, results, err := parse(in)
	if err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark results on stdin")
	}
	return docsection.Write(doc, begin, end, render(machine, order, results))
}

// parse reads the header lines (goos, goarch, cpu) and every benchmark line.
func parse(in io.Reader) (machine map[string]string, order []string, results map[string]*result, err error) {
	machine, results = map[string]string{}, map[string]*result{}
	s := bufio.NewScanner(in)
	for s.Scan() {
		line := s.Text()
		for _, key := range []string{"goos", "goarch", "cpu"} {
			if v, ok := strings.CutPrefix(line, key+": "); ok {
				machine[key] = strings.TrimSpace(v) // some CPUs name themselves with trailing blanks
			}
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if k := strings.LastIndex(name, "-"); k > 0 {
			name = name[:k] // the GOMAXPROCS suffix
		}
		r := results[name]
		if r == nil {
			r = &result{}
			results[name] = r
			order = append(order, name)
		}
		for k := 2; k+1 < len(fields); k += 2 {
			v, err := strconv.ParseFloat(fields[k], 64)
			if err != nil {
				continue
			}
			switch fields[k+1] {
			case "ns/op":
				r.nsPerOp = append(r.nsPerOp, v)
			case "B/op":
				r.bytesPerOp = append(r.bytesPerOp, v)
			case "allocs/op":
				r.allocsPerOp = append(r.allocsPerOp, v)
			case "MB/s":
				r.mbPerS = append(r.mbPerS, v)
			}
		}
	}
	return machine, order, results, s.Err()
}

func render(machine map[string]string, order []string, results map[string]*result) string {
	var b strings.Builder
	runs := len(results[order[0]].nsPerOp)
	fmt.Fprintf(&b, "Measured %s on %s/%s, %s, %d CPUs, %s; the median of %d runs each.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine["goos"], machine["goarch"], machine["cpu"],
		runtime.NumCPU(), runtime.Version(), runs)
	b.WriteString("| benchmark | time per call | allocated per call | allocations per call | throughput |\n")
	b.WriteString("|---|--:|--:|--:|--:|\n")
	for _, name := range order {
		r := results[name]
		mb := ""
		if len(r.mbPerS) > 0 {
			mb = fmt.Sprintf("%.1f MB/s", median(r.mbPerS))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.0f | %s |\n", strings.TrimPrefix(name, "Benchmark"),
			duration(median(r.nsPerOp)), size(median(r.bytesPerOp)), median(r.allocsPerOp), mb)
	}
	return b.String()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func size(bytes float64) string {
	if bytes >= 1024 {
		return fmt.Sprintf("%.0f KB", bytes/1024)
	}
	return fmt.Sprintf("%.0f B", bytes)
}
