package review

import (
	"context"
	"fmt"
	"io"
)

// Writer writes a review's result in one of the output formats (see
// NewWriter).
type Writer interface {
	Publish(ctx context.Context, r *Result) error
}

var (
	_ Writer = textWriter{}
	_ Writer = jsonWriter{}
	_ Writer = sarifWriter{}
	_ Writer = markdownWriter{}
)

// NewWriter returns the Writer that writes results to w in format: text,
// json, sarif or markdown.
func NewWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case "text":
		return textWriter{W: w}, nil
	case "json":
		return jsonWriter{W: w}, nil
	case "sarif":
		return sarifWriter{W: w, Version: toolVersion()}, nil
	case "markdown":
		return markdownWriter{W: w}, nil
	case "github":
		return githubWriter{W: w}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want text, json, sarif, markdown or github)", format)
}
