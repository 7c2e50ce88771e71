package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWritesTheMedians feeds two runs of go test's output and checks the table that lands
// between the markers: the medians, in units a reader compares, and the rest of the document
// untouched.
func TestWritesTheMedians(t *testing.T) {
	const out = `goos: linux
goarch: amd64
pkg: example
cpu: Some CPU   
BenchmarkRunFunction/full/3-connected-2   	 500	   2100000 ns/op	  668672 B/op	    8700 allocs/op
BenchmarkCallBreakdown/decode-request-2   	1000	   1000000 ns/op	  17.00 MB/s	  164904 B/op	    4499 allocs/op
BenchmarkRunFunction/full/3-connected-2   	 500	   1900000 ns/op	  667648 B/op	    8698 allocs/op
BenchmarkCallBreakdown/decode-request-2   	1000	   1200000 ns/op	  19.00 MB/s	  164904 B/op	    4499 allocs/op
PASS
`
	doc := filepath.Join(t.TempDir(), "performance.md")
	if err := os.WriteFile(doc, []byte("# Performance\n\n"+begin+"\nold table\n"+end+"\n\nAfter.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(strings.NewReader(out), doc); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	got := string(raw)
	for _, want := range []string{
		"# Performance\n\n" + begin + "\nMeasured ",
		"on linux/amd64, Some CPU,",
		"the median of 2 runs each.",
		"| `RunFunction/full/3-connected` | 2.00 ms | 652 KB | 8699 |  |",
		"| `CallBreakdown/decode-request` | 1.10 ms | 161 KB | 4499 | 18.0 MB/s |",
		end + "\n\nAfter.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the document lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old table") {
		t.Errorf("the old table is still there:\n%s", got)
	}
}
