// Package docsection rewrites the part of a document between two marker lines, so that a
// command can keep its own measurements in a document people also write in.
package docsection

import (
	"fmt"
	"os"
	"strings"
)

// Write replaces what stands between begin and end in the file doc with content.
func Write(doc, begin, end, content string) error {
	raw, err := os.ReadFile(doc) //nolint:gosec // the document named on the command line
	if err != nil {
		return err
	}
	text := string(raw)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s section", doc, begin, end)
	}
	return os.WriteFile(doc, []byte(text[:i+len(begin)]+"\n"+content+text[j:]), 0o600)
}
