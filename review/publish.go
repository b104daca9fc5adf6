package review

import (
	"context"
	"fmt"
	"io"
)

// Writer writes a review's result in one of the output Formats.
type Writer interface {
	Publish(ctx context.Context, r *Result) error
}

var (
	_ Writer = TextWriter{}
	_ Writer = JSONWriter{}
	_ Writer = SARIFWriter{}
	_ Writer = MarkdownWriter{}
)

// Formats lists the output formats NewWriter knows.
var Formats = []string{"text", "json", "sarif", "markdown"}

// NewWriter returns the Writer that writes results to w in format: text,
// json, sarif or markdown.
func NewWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case "text":
		return TextWriter{W: w}, nil
	case "json":
		return JSONWriter{W: w}, nil
	case "sarif":
		return SARIFWriter{W: w, Version: toolVersion()}, nil
	case "markdown":
		return MarkdownWriter{W: w}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want text, json, sarif or markdown)", format)
}
