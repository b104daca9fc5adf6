package ecosystem

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
)

// The history run samples the commits where the impact rules can fire at
// all: a commit that makes no field required and adds no unique or check
// constraint cannot break code it does not touch. Which commits those are
// is read from the models modules' diffs by their lines alone, before any
// review: the filter only narrows the sample to commits worth reviewing
// (a field declared over several lines may pass it and prove loose), so it
// decides nothing about a finding.
var (
	// stricterField is a line that declares a field.
	stricterField = regexp.MustCompile(`^\s*\w+\s*(?::[^=]+)?=\s*(?:[\w.]*\.)?\w*(?:Field|ForeignKey|OneToOneField)\(`)
	// looseField is what keeps a declared field from being required, or
	// from being a column at all.
	looseField = regexp.MustCompile(`null\s*=\s*True|default\s*=|ManyToManyField|GenericRelation|GenericForeignKey`)
	// stricterConstraint is a line that adds a unique or check constraint.
	stricterConstraint = regexp.MustCompile(`unique\s*=\s*True|unique_together|UniqueConstraint|CheckConstraint`)
	// looseningRemoved is a removed line whose loss can make a field
	// required: its null=True or its default.
	looseningRemoved = regexp.MustCompile(`null\s*=\s*True|default\s*=`)
)

// stricterLine reports whether a diff line of a models module (with its
// leading '+' or '-') can make a model stricter.
func stricterLine(line []byte) bool {
	if len(line) == 0 {
		return false
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return stricterConstraint.Match(body) || stricterField.Match(body) && !looseField.Match(body)
	case '-':
		return looseningRemoved.Match(body)
	}
	return false
}

// commitMark starts each commit's part of the log stricterCommits reads.
const commitMark = "\x00commit "

// stricterCommits lists, newest first, the non-merge commits before and at
// p.Commit whose change to a models module has a line that can make a
// model stricter (stricterLine). It reads one `git log -p` of the models
// modules, a line at a time.
func stricterCommits(ctx context.Context, dir string, p Project) ([]string, error) {
	args := append([]string{"log", "--no-merges", "--no-color", "--no-ext-diff", "--no-renames", "-U0",
		"--format=" + strings.ReplaceAll(commitMark, "\x00", "%x00") + "%H", "-p", p.Commit, "--"}, modelPaths...)
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: list stricter model commits: %w", p.Repo, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: list stricter model commits: %w", p.Repo, err)
	}
	ids, readErr := scanStricter(out)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); readErr == nil && err != nil {
		readErr = fmt.Errorf("git log: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: list stricter model commits: %w", p.Repo, readErr)
	}
	return ids, nil
}

// scanStricter reads the log stricterCommits asks for and returns the
// commits with a stricter line, in the log's order.
func scanStricter(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var ids []string
	current, taken := "", false
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimRight(line, "\n")
		switch {
		case bytes.HasPrefix(line, []byte(commitMark)):
			current, taken = string(line[len(commitMark):]), false
		case current != "" && !taken && !bytes.HasPrefix(line, []byte("+++")) && !bytes.HasPrefix(line, []byte("---")) && stricterLine(line):
			ids, taken = append(ids, current), true
		}
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
