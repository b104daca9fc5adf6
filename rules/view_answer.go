package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// viewStyle is how a view answers a request it cannot serve, read from
// what it already does: a fix answers a failed write the same way.
type viewStyle int

const (
	styleUnknown  viewStyle = iota
	styleJSON               // returns JsonResponse (or HttpResponse): an API of its own
	styleDRF                // a Django REST framework view: Response, or raises ValidationError
	styleDRFRaise           // a DRF view that raises ValidationError for its errors
	styleForm               // validates a form, and renders it again when invalid
	styleMessages           // tells the user with django.contrib.messages and redirects
)

// viewAnswer is the answer a view gives when a write fails: the statements
// of an except clause (unindented; continuation lines keep their indent
// relative to the first), the imports they need, and the fix in words.
type viewAnswer struct {
	style   viewStyle
	body    []string
	imports []string
	how     string
}

// viewAnswerOf decides how the view of s answers a write that fails: with
// status 409 for a duplicate, 400 for an invalid value; msg says why and
// fields are the model fields at fault. body is nil when the view's way
// of answering cannot be told or reproduced: the message then says the
// fix in words only.
func viewAnswerOf(p *django.Project, s viewSite, status int, msg string, fields []string) viewAnswer {
	fn, f := s.w.Func, s.f
	statusWord := map[int]string{409: "409 Conflict", 400: "400 Bad Request"}[status]
	var a viewAnswer
	switch {
	case viewIsDRF(fn):
		a = viewDRFAnswer(f, fn, status, msg, fields)
		if a.style == styleDRFRaise {
			a.how = "Catch IntegrityError and raise ValidationError, as the view does for its other errors (DRF answers 400 Bad Request)."
		} else {
			a.how = fmt.Sprintf("Catch IntegrityError and answer %s with a Response, as the view answers.", statusWord)
		}
		return a
	}
	if !fn.HasRequest && fn.Name != "form_valid" {
		// A helper method of a class-based view: what it returns is not
		// the response.
		return viewAnswer{how: fmt.Sprintf("Catch IntegrityError and answer the request as the view answers its other errors: %s from an API, a form error or a message from a page.", statusWord)}
	}
	if body, form := viewFormAnswer(p, s, msg, fields); body != nil {
		return viewAnswer{style: styleForm, body: body,
			how: fmt.Sprintf("Catch IntegrityError, add the error to the form with `%s.add_error()` and render the form again, as the view does when the form is invalid.", form)}
	}
	if body, ok := viewMessagesAnswer(f, s, msg); ok {
		return viewAnswer{style: styleMessages, body: body,
			how: "Catch IntegrityError, tell the user with `messages.error()` and redirect, as the view does."}
	}
	for _, ans := range fn.Answers {
		if ans.Kind != "return" {
			continue
		}
		switch ans.Func {
		case "django.http.JsonResponse", "django.http.response.JsonResponse":
			name := viewLocalName(f, "django.http.JsonResponse", "django.http.response.JsonResponse")
			return viewAnswer{style: styleJSON, body: []string{fmt.Sprintf("return %s({\"error\": %q}, status=%d)", name, msg, status)},
				how: fmt.Sprintf("Catch IntegrityError and answer %s.", statusWord)}
		}
	}
	if !slices.ContainsFunc(fn.Answers, func(ans writesite.Answer) bool { return viewIsPage(ans.Func) }) {
		for _, ans := range fn.Answers {
			if ans.Kind == "return" && (ans.Func == "django.http.HttpResponse" || ans.Func == "django.http.response.HttpResponse") {
				name := viewLocalName(f, "django.http.HttpResponse", "django.http.response.HttpResponse")
				return viewAnswer{style: styleJSON, body: []string{fmt.Sprintf("return %s(%q, status=%d)", name, msg, status)},
					how: fmt.Sprintf("Catch IntegrityError and answer %s.", statusWord)}
			}
		}
	}
	return viewAnswer{how: fmt.Sprintf("Catch IntegrityError and answer the request as the view answers its other errors: %s from an API, a form error or a message from a page.", statusWord)}
}

// viewIsPage reports whether a callee answers with a page: a template
// rendered, or a redirect.
func viewIsPage(callee string) bool {
	switch callee {
	case "django.shortcuts.render", "django.shortcuts.render_to_response", "django.template.response.TemplateResponse",
		"django.shortcuts.redirect", "django.http.HttpResponseRedirect", "django.http.response.HttpResponseRedirect":
		return true
	}
	return false
}

// viewIsDRF reports whether fn is a Django REST framework view: decorated
// with api_view, a method of an APIView or ViewSet, or a function that
// answers with DRF's Response or raises its exceptions.
func viewIsDRF(fn *writesite.Function) bool {
	return slices.ContainsFunc(fn.Decorators, func(d string) bool { return d == "api_view" || strings.HasSuffix(d, ".api_view") }) ||
		slices.ContainsFunc(fn.ClassBases, func(b string) bool {
			return strings.HasSuffix(b, "APIView") || strings.HasSuffix(b, "ViewSet")
		}) ||
		slices.ContainsFunc(fn.Answers, func(a writesite.Answer) bool { return strings.HasPrefix(a.Func, "rest_framework.") })
}

// viewDRFAnswer raises ValidationError when the view raises it for its
// other errors, and otherwise returns a Response with the status, named
// through rest_framework.status.
func viewDRFAnswer(f *django.File, fn *writesite.Function, status int, msg string, fields []string) viewAnswer {
	// A method that is not the handler itself (perform_create) has no
	// response to return: DRF answers what it raises.
	raises := !fn.HasRequest || slices.ContainsFunc(fn.Answers, func(a writesite.Answer) bool {
		return a.Kind == "raise" && strings.HasPrefix(a.Func, "rest_framework.") && strings.HasSuffix(a.Func, ".ValidationError")
	})
	if raises {
		var imports []string
		name := viewLocalName(f, "rest_framework.exceptions.ValidationError", "rest_framework.serializers.ValidationError")
		if name == "" {
			if fn.Names["ValidationError"] || f.Imports["ValidationError"] != "" {
				return viewAnswer{style: styleDRFRaise}
			}
			name = "ValidationError"
			imports = append(imports, "from rest_framework.exceptions import ValidationError")
		}
		detail := fmt.Sprintf("%q", msg)
		if len(fields) == 1 {
			detail = fmt.Sprintf("{%q: [%q]}", fields[0], msg)
		}
		return viewAnswer{style: styleDRFRaise, body: []string{"raise " + name + "(" + detail + ")"}, imports: imports}
	}
	var imports []string
	resp := viewLocalName(f, "rest_framework.response.Response")
	if resp == "" {
		if fn.Names["Response"] || f.Imports["Response"] != "" {
			return viewAnswer{style: styleDRF}
		}
		resp = "Response"
		imports = append(imports, "from rest_framework.response import Response")
	}
	code := fmt.Sprint(status)
	if c, ok := map[int]string{409: "HTTP_409_CONFLICT", 400: "HTTP_400_BAD_REQUEST"}[status]; ok {
		switch mod := viewImported(f, false, []string{"rest_framework.status"}); {
		case mod != "":
			code = mod + "." + c
		case !fn.Names["status"] && f.Imports["status"] == "" && !slices.ContainsFunc(fn.Params, func(p string) bool { return p == "status" }):
			code = "status." + c
			imports = append(imports, "from rest_framework import status")
		}
	}
	return viewAnswer{style: styleDRF, body: []string{fmt.Sprintf("return %s({\"detail\": %q}, status=%s)", resp, msg, code)}, imports: imports}
}

// viewFormAnswer answers as a form view does when its form is invalid:
// the error added to the form, and the form rendered again by the view's
// own render() call, or, in a FormView's form_valid(), form_invalid().
// form is the form's variable; body is nil when the view is not of that
// kind or its render() cannot be repeated where the write is.
func viewFormAnswer(p *django.Project, s viewSite, msg string, fields []string) (body []string, form string) {
	w, fn := s.w, s.w.Func
	if fn.Name == "form_valid" && fn.Class != "" && len(fn.Params) == 2 && fn.Params[0] == "self" {
		form = fn.Params[1]
		return []string{fmt.Sprintf("%s.add_error(%s, %q)", form, viewFormField(p, s, form, fields), msg), fmt.Sprintf("return self.form_invalid(%s)", form)}, form
	}
	for _, v := range fn.Validations {
		recv, ok := strings.CutSuffix(v.Text, ".is_valid()")
		if v.Kind != "is_valid" || v.Line > w.Line || !ok || !fn.Names[recv] {
			continue
		}
		form = recv
		for _, a := range fn.Answers {
			if a.Kind != "return" || a.Func != "django.shortcuts.render" && a.Func != "django.template.response.TemplateResponse" ||
				!slices.Contains(a.Idents, form) || !viewRepeatable(s, a) {
				continue
			}
			lines := viewUnindent(viewLines(s.f, a.Line, a.EndLine), a.Indent)
			return append([]string{fmt.Sprintf("%s.add_error(%s, %q)", form, viewFormField(p, s, form, fields), msg)}, lines...), form
		}
	}
	return nil, ""
}

// viewFormField names the form field an error belongs to: the one model
// field at fault when the form has a field of that name, else None (an
// error of the whole form: add_error() raises ValueError for a field the
// form does not have).
func viewFormField(p *django.Project, s viewSite, form string, fields []string) string {
	if len(fields) != 1 {
		return "None"
	}
	cls := s.w.Func.Made[form]
	if cls == "" && s.w.Func.Name == "form_valid" {
		return "None"
	}
	if ff := viewFormOf(p, cls); ff != nil && slices.Contains(ff.fields, fields[0]) {
		return fmt.Sprintf("%q", fields[0])
	}
	return "None"
}

// viewMessagesAnswer answers as a view that uses django.contrib.messages
// and redirects: messages.error(), then the view's own redirect. ok is
// false when the view does not, or none of its redirects can be repeated
// where the write is.
func viewMessagesAnswer(f *django.File, s viewSite, msg string) ([]string, bool) {
	fn := s.w.Func
	if !slices.ContainsFunc(fn.Answers, func(a writesite.Answer) bool {
		return a.Kind == "call" && strings.HasPrefix(a.Func, "django.contrib.messages.")
	}) {
		return nil, false
	}
	mod := viewImported(f, false, []string{"django.contrib.messages"})
	req := "request"
	if !fn.HasRequest {
		if fn.Class == "" {
			return nil, false
		}
		req = "self.request"
	}
	if mod == "" {
		return nil, false
	}
	// The redirect that follows the write is where the view sends the
	// user next; one before it will do when none follows.
	var pick *writesite.Answer
	for i := range fn.Answers {
		a := &fn.Answers[i]
		if a.Kind != "return" || !viewIsRedirect(a.Func) || !viewRepeatable(s, *a) {
			continue
		}
		if pick == nil || pick.Line < s.w.Line {
			pick = a
		}
		if a.Line > s.w.Line {
			break
		}
	}
	if pick == nil {
		return nil, false
	}
	body := []string{fmt.Sprintf("%s.error(%s, %q)", mod, req, msg)}
	return append(body, viewUnindent(viewLines(f, pick.Line, pick.EndLine), pick.Indent)...), true
}

func viewIsRedirect(callee string) bool {
	switch callee {
	case "django.shortcuts.redirect", "django.http.HttpResponseRedirect", "django.http.response.HttpResponseRedirect":
		return true
	}
	return false
}

// viewRepeatable reports whether answer a of the view can be copied into
// a handler of the write of s: whole lines, no multi-line string, and
// every local name it uses bound before the write and not by it.
func viewRepeatable(s viewSite, a writesite.Answer) bool {
	w, fn := s.w, s.w.Func
	if !a.OwnLines || !viewMovable(fn, a.Line, a.EndLine) {
		return false
	}
	for _, id := range a.Idents {
		if id == w.Target || id == w.Instance && w.Instance != "" {
			return false
		}
		if line, local := fn.Bound[id]; local && line >= w.Stmt.Line {
			return false
		}
	}
	return true
}

// viewUnindent strips a statement's own indentation from its lines.
func viewUnindent(lines []string, indent string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimPrefix(l, indent)
	}
	return out
}

// viewForm is what a form or serializer class validates: the model of a
// ModelForm or ModelSerializer (nil for a plain form) and the field names
// it has.
type viewForm struct {
	model      *django.Model
	fields     []string
	serializer bool
}

// viewFormOf reads the form or serializer class q (qualified) of the
// repository; nil when it is not one or cannot be read.
func viewFormOf(p *django.Project, q string) *viewForm {
	if q == "" {
		return nil
	}
	cf, c := p.QualifiedClass(q)
	if c == nil {
		return nil
	}
	kind, meta := viewFormKind(p, cf, c, 0)
	if kind == "" {
		return nil
	}
	ff := &viewForm{serializer: strings.Contains(kind, "Serializer")}
	for _, fl := range c.Fields {
		ff.fields = append(ff.fields, fl.Name)
	}
	if meta == nil || !strings.Contains(kind, "Model") {
		return ff
	}
	ff.model = p.ResolveModel(meta.file, meta.meta.Model)
	if ff.model == nil {
		return nil
	}
	mm := meta.meta
	for _, fl := range ff.model.Fields {
		in := false
		switch {
		case mm.AllFields:
			in = !slices.Contains(mm.Exclude, fl.Name)
		case mm.Fields != nil:
			in = slices.Contains(mm.Fields, fl.Name)
		case mm.Exclude != nil:
			in = !slices.Contains(mm.Exclude, fl.Name)
		}
		if in && !slices.Contains(ff.fields, fl.Name) {
			ff.fields = append(ff.fields, fl.Name)
		}
	}
	return ff
}

// viewFormMeta is the Meta a form class has, with the file it is in.
type viewFormMeta struct {
	file *django.File
	meta django.Meta
}

// viewFormBases are the form and serializer classes of Django and DRF,
// by qualified name.
var viewFormBases = map[string]string{
	"django.forms.Form": "Form", "django.forms.forms.Form": "Form",
	"django.forms.ModelForm": "ModelForm", "django.forms.models.ModelForm": "ModelForm",
	"rest_framework.serializers.Serializer":                 "Serializer",
	"rest_framework.serializers.ModelSerializer":            "ModelSerializer",
	"rest_framework.serializers.HyperlinkedModelSerializer": "ModelSerializer",
}

// viewFormKind follows the bases of class c (of file f) within the
// repository to a form or serializer class of Django or DRF; meta is the
// nearest Meta with a model.
func viewFormKind(p *django.Project, f *django.File, c *django.Class, depth int) (kind string, meta *viewFormMeta) {
	if depth > 10 {
		return "", nil
	}
	if c.HasMeta && c.Meta.Model != "" {
		meta = &viewFormMeta{file: f, meta: c.Meta}
	}
	for _, b := range c.Bases {
		q := p.Qualify(f, b)
		if k, ok := viewFormBases[q]; ok {
			return k, meta
		}
		if bf, bc := p.QualifiedClass(q); bc != nil {
			if k, m := viewFormKind(p, bf, bc, depth+1); k != "" {
				if meta == nil {
					meta = m
				}
				return k, meta
			}
		}
	}
	return "", nil
}

// viewCatchFix wraps the write statement of s in `try:` with an `except
// IntegrityError:` that answers as the view answers its other errors (see
// viewAnswerOf), and returns it with the imports it needs and the fix in
// words; the fix is nil when the statement cannot be moved cleanly or the
// view's way of answering cannot be told. The handler returns or raises
// at once, so no query runs in a transaction the failed write broke: no
// savepoint is needed (the seed's "catch IntegrityError gracefully" form).
func viewCatchFix(p *django.Project, s viewSite, status int, msg string, fields []string) (fix *string, imports []string, how string) {
	w, fn := s.w, s.w.Func
	a := viewAnswerOf(p, s, status, msg, fields)
	if a.body == nil || !w.Stmt.OwnLines || (w.StmtKind != "expression_statement" && w.StmtKind != "return_statement") ||
		!viewMovable(fn, w.Stmt.Line, w.Stmt.EndLine) {
		return nil, nil, a.how
	}
	names := viewFixNames(s.f, true, false)
	ind, unit := w.Stmt.Indent, fn.IndentUnit
	lines := []string{ind + "try:"}
	lines = append(lines, viewShift(viewLines(s.f, w.Stmt.Line, w.Stmt.EndLine), unit)...)
	lines = append(lines, ind+"except "+names.integrity+":")
	lines = append(lines, viewShift(a.body, ind+unit)...)
	return viewFix(lines), append(names.imports, a.imports...), a.how
}
