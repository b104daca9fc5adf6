package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// The deployment files, from the repository root.
const (
	templateFile  = "../../template.yaml"
	terraformDir  = "../../infra/terraform"
	exampleDir    = "../../infra/terraform/examples/complete"
	buildScript   = "../../scripts/build-lambda.sh"
	packageOutput = "dist/bootstrap.zip" // the build script's default output
)

// resources maps each of template.yaml's resources to its twin in the
// Terraform module: the two must hold the same resources.
var resources = map[string]string{
	"DeadLetterQueue":          "aws_sqs_queue.dead_letter",
	"JobsQueue":                "aws_sqs_queue.jobs",
	"DeadLetterAlarm":          "aws_cloudwatch_metric_alarm.dead_letters",
	"ReceiverLogGroup":         "aws_cloudwatch_log_group.receiver",
	"WorkerLogGroup":           "aws_cloudwatch_log_group.worker",
	"ReceiverRole":             "aws_iam_role.receiver",
	"WorkerRole":               "aws_iam_role.worker",
	"Receiver":                 "aws_lambda_function.receiver",
	"ReceiverUrl":              "aws_lambda_function_url.receiver",
	"ReceiverUrlPermission":    "aws_lambda_permission.receiver_url",
	"ReceiverInvokePermission": "aws_lambda_permission.receiver_invoke",
	"Worker":                   "aws_lambda_function.worker",
	"WorkerEventSource":        "aws_lambda_event_source_mapping.worker",
}

// resourceTypes maps CloudFormation types to Terraform's.
var resourceTypes = map[string]string{
	"AWS::SQS::Queue":                 "aws_sqs_queue",
	"AWS::CloudWatch::Alarm":          "aws_cloudwatch_metric_alarm",
	"AWS::Logs::LogGroup":             "aws_cloudwatch_log_group",
	"AWS::IAM::Role":                  "aws_iam_role",
	"AWS::Serverless::Function":       "aws_lambda_function",
	"AWS::Lambda::Url":                "aws_lambda_function_url",
	"AWS::Lambda::Permission":         "aws_lambda_permission",
	"AWS::Lambda::EventSourceMapping": "aws_lambda_event_source_mapping",
}

// unknownToGoformation are properties newer than goformation v7.14.9's
// schema, which rejects them: the test checks them from the raw template
// and removes them before goformation parses the rest.
var unknownToGoformation = map[string][]string{
	"AWS::Serverless::Function": {"LoggingConfig"},
	"AWS::Lambda::Permission":   {"InvokedViaFunctionUrl"},
}

// rawTemplate is template.yaml with its intrinsic functions made into
// strings that name what they point at: Ref X gives "ref:X" and GetAtt X.Y
// "getatt:X.Y". With defaults, a Ref to a parameter that has a default gives
// the default instead, as goformation's own processing does.
func rawTemplate(t *testing.T, defaults bool) map[string]any {
	t.Helper()
	src, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	ref := func(_ string, input any, tpl any) any {
		name, _ := input.(string)
		if strings.HasPrefix(name, "AWS::") {
			return intrinsics.Ref("Ref", input, tpl)
		}
		if defaults {
			if v := intrinsics.Ref("Ref", input, tpl); v != nil {
				return v
			}
		}
		return "ref:" + name
	}
	getAtt := func(_ string, input any, _ any) any {
		switch v := input.(type) {
		case string:
			return "getatt:" + v
		case []any:
			return fmt.Sprintf("getatt:%v.%v", v[0], v[1])
		}
		return nil
	}
	b, err := intrinsics.ProcessYAML(src, &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{"Ref": ref, "Fn::GetAtt": getAtt},
	})
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// parseTemplate parses template.yaml with goformation.
func parseTemplate(t *testing.T) (*cloudformation.Template, map[string]any) {
	t.Helper()
	raw := rawTemplate(t, true)
	stripped := rawTemplate(t, true)
	for _, r := range stripped["Resources"].(map[string]any) {
		r := r.(map[string]any)
		for _, p := range unknownToGoformation[r["Type"].(string)] {
			delete(r["Properties"].(map[string]any), p)
		}
	}
	b, err := json.Marshal(stripped)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := goformation.ParseJSONWithOptions(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("goformation: %v", err)
	}
	return tpl, raw
}

func props(raw map[string]any, logical string) map[string]any {
	r, _ := raw["Resources"].(map[string]any)[logical].(map[string]any)
	p, _ := r["Properties"].(map[string]any)
	return p
}

// TestTemplate checks template.yaml: the resources the design calls for,
// their properties, and that every reference points at something.
func TestTemplate(t *testing.T) {
	tpl, raw := parseTemplate(t)

	var got []string
	for name := range tpl.Resources {
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Sorted(func(yield func(string) bool) {
		for k := range resources {
			if !yield(k) {
				return
			}
		}
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("resources (-want +got):\n%s", diff)
	}
	for name, r := range tpl.Resources {
		if tfType := resourceTypes[r.AWSCloudFormationType()]; !strings.HasPrefix(resources[name], tfType+".") {
			t.Errorf("%s is %s; its Terraform twin %s is not a %s", name, r.AWSCloudFormationType(), resources[name], tfType)
		}
	}

	// Every Ref and GetAtt names a parameter or resource.
	refs := regexp.MustCompile(`"(?:ref|getatt):([A-Za-z0-9]+)`)
	b, _ := json.Marshal(rawTemplate(t, false))
	params := tpl.Parameters
	for _, m := range refs.FindAllStringSubmatch(string(b), -1) {
		if _, ok := params[m[1]]; !ok && tpl.Resources[m[1]] == nil {
			t.Errorf("reference to %s, which is neither a parameter nor a resource", m[1])
		}
	}

	t.Run("functions", func(t *testing.T) {
		for name, role := range map[string]string{"Receiver": roleReceiver, "Worker": roleWorker} {
			f, err := tpl.GetServerlessFunctionWithName(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := deref(f.Runtime) + " " + deref(f.Handler) + " " + strings.Join(f.Architectures, ","); got != "provided.al2023 bootstrap arm64" {
				t.Errorf("%s: runtime, handler, architectures %q, want provided.al2023 bootstrap arm64", name, got)
			}
			if f.CodeUri == nil || deref(f.CodeUri.String) != packageOutput {
				t.Errorf("%s: CodeUri is not %s, what scripts/build-lambda.sh writes", name, packageOutput)
			}
			if got, want := deref(f.Role), "getatt:"+name+"Role.Arn"; got != want {
				t.Errorf("%s: Role %q, want its own role %q", name, got, want)
			}
			// The function's environment, with references filled in as
			// CloudFormation would, is a configuration the binary accepts
			// for the role.
			vars := map[string]string{}
			for k, v := range f.Environment.Variables {
				s := fmt.Sprint(v)
				switch s {
				case "ref:JobsQueue":
					s = "https://sqs.eu-west-1.amazonaws.com/123456789012/djintegrity-jobs.fifo"
				case "ref:AppId":
					s = "123456"
				case "ref:WebhookSecretArn":
					s = webhookSecretARN
				case "ref:PrivateKeySecretArn":
					s = privateKeyARN
				case "ref:MaxReceiveCount":
					s = "5"
				}
				vars[k] = s
			}
			cfg, err := parseConfig(env(vars))
			if err != nil {
				t.Errorf("%s: the binary refuses the template's environment: %v", name, err)
			} else if cfg.Role != role {
				t.Errorf("%s: role %q, want %q", name, cfg.Role, role)
			}
			lc := props(raw, name)["LoggingConfig"].(map[string]any)
			if lc["LogFormat"] != "JSON" || lc["LogGroup"] != "ref:"+name+"LogGroup" {
				t.Errorf("%s: LoggingConfig %v, want JSON to its own log group", name, lc)
			}
		}
		recv, _ := tpl.GetServerlessFunctionWithName("Receiver")
		if *recv.Timeout > 10 {
			t.Errorf("receiver timeout %d s: GitHub waits 10 s", *recv.Timeout)
		}
	})

	t.Run("function URL", func(t *testing.T) {
		u, err := tpl.GetLambdaUrlWithName("ReceiverUrl")
		if err != nil {
			t.Fatal(err)
		}
		if u.AuthType != "NONE" || deref(u.InvokeMode) != "RESPONSE_STREAM" || u.TargetFunctionArn != "getatt:Receiver.Arn" {
			t.Errorf("URL %s %s for %s, want NONE RESPONSE_STREAM for getatt:Receiver.Arn", u.AuthType, deref(u.InvokeMode), u.TargetFunctionArn)
		}
		if out := tpl.Outputs["WebhookUrl"]; fmt.Sprint(out.Value) != "getatt:ReceiverUrl.FunctionUrl" {
			t.Errorf("output WebhookUrl = %v, want the Function URL", out.Value)
		}
		url, _ := tpl.GetLambdaPermissionWithName("ReceiverUrlPermission")
		inv, _ := tpl.GetLambdaPermissionWithName("ReceiverInvokePermission")
		got := []string{url.Action, url.FunctionName, url.Principal, deref(url.FunctionUrlAuthType),
			inv.Action, inv.FunctionName, inv.Principal, fmt.Sprint(props(raw, "ReceiverInvokePermission")["InvokedViaFunctionUrl"])}
		want := []string{"lambda:InvokeFunctionUrl", "ref:Receiver", "*", "NONE",
			"lambda:InvokeFunction", "ref:Receiver", "*", "true"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Function URL permissions (-want +got):\n%s", diff)
		}
	})

	t.Run("queue", func(t *testing.T) {
		q, _ := tpl.GetSQSQueueWithName("JobsQueue")
		dlq, _ := tpl.GetSQSQueueWithName("DeadLetterQueue")
		worker, _ := tpl.GetServerlessFunctionWithName("Worker")
		if !deref(q.FifoQueue) || !deref(dlq.FifoQueue) || deref(q.ContentBasedDeduplication) {
			t.Error("the jobs queue and its dead-letter queue must be FIFO, with explicit deduplication ids")
		}
		if deref(q.VisibilityTimeout) < 6**worker.Timeout {
			t.Errorf("visibility timeout %d s is under 6 x the worker's timeout (%d s)", deref(q.VisibilityTimeout), *worker.Timeout)
		}
		rp, _ := q.RedrivePolicy.(map[string]any)
		if rp["deadLetterTargetArn"] != "getatt:DeadLetterQueue.Arn" || rp["maxReceiveCount"] == nil {
			t.Errorf("redrive policy %v: want the dead-letter queue and a maxReceiveCount", rp)
		}
		a, _ := tpl.GetCloudWatchAlarmWithName("DeadLetterAlarm")
		if deref(a.Namespace) != "AWS/SQS" || deref(a.MetricName) != "ApproximateNumberOfMessagesVisible" ||
			len(a.Dimensions) != 1 || a.Dimensions[0].Value != "getatt:DeadLetterQueue.QueueName" ||
			a.ComparisonOperator != "GreaterThanThreshold" || deref(a.Threshold) != 0 {
			t.Errorf("alarm: want dead-letter queue depth > 0, got %s %s %+v %s %v", deref(a.Namespace), deref(a.MetricName), a.Dimensions, a.ComparisonOperator, deref(a.Threshold))
		}
		m, _ := tpl.GetLambdaEventSourceMappingWithName("WorkerEventSource")
		if deref(m.EventSourceArn) != "getatt:JobsQueue.Arn" || m.FunctionName != "getatt:Worker.Arn" ||
			!slices.Equal(m.FunctionResponseTypes, []string{"ReportBatchItemFailures"}) || deref(m.BatchSize) > 10 {
			t.Errorf("event source mapping %s -> %s, %v, batch %d; want the jobs queue to the worker with ReportBatchItemFailures", deref(m.EventSourceArn), m.FunctionName, m.FunctionResponseTypes, deref(m.BatchSize))
		}
		for _, lg := range []string{"ReceiverLogGroup", "WorkerLogGroup"} {
			g, _ := tpl.GetLogsLogGroupWithName(lg)
			if deref(g.RetentionInDays) == 0 {
				t.Errorf("%s keeps logs forever: set RetentionInDays", lg)
			}
		}
	})

	t.Run("least privilege", func(t *testing.T) {
		want := map[string][]string{
			"ReceiverRole": {
				"logs:CreateLogStream,logs:PutLogEvents on getatt:ReceiverLogGroup.Arn",
				"sqs:SendMessage on getatt:JobsQueue.Arn",
				"secretsmanager:GetSecretValue on ref:WebhookSecretArn",
			},
			"WorkerRole": {
				"logs:CreateLogStream,logs:PutLogEvents on getatt:WorkerLogGroup.Arn",
				"sqs:ReceiveMessage,sqs:DeleteMessage,sqs:GetQueueAttributes on getatt:JobsQueue.Arn",
				"secretsmanager:GetSecretValue on ref:PrivateKeySecretArn",
			},
		}
		for name, w := range want {
			r, err := tpl.GetIAMRoleWithName(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.ManagedPolicyArns) != 0 {
				t.Errorf("%s has managed policies %v", name, r.ManagedPolicyArns)
			}
			var got []string
			for _, p := range r.Policies {
				got = append(got, grants(t, p.PolicyDocument)...)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("%s grants (-want +got):\n%s", name, diff)
			}
			if s := fmt.Sprint(r.AssumeRolePolicyDocument); !strings.Contains(s, "lambda.amazonaws.com") || !strings.Contains(s, "sts:AssumeRole") {
				t.Errorf("%s is not for Lambda to assume: %s", name, s)
			}
		}
	})
}

// grants lists a policy document's Allow statements as "actions on
// resource", failing on wildcards.
func grants(t *testing.T, doc any) []string {
	t.Helper()
	var out []string
	stmts, _ := doc.(map[string]any)["Statement"].([]any)
	for _, s := range stmts {
		s := s.(map[string]any)
		if s["Effect"] != "Allow" {
			t.Errorf("statement %v is not an Allow", s)
		}
		var actions []string
		switch a := s["Action"].(type) {
		case string:
			actions = []string{a}
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
		res := fmt.Sprint(s["Resource"])
		for _, a := range append(slices.Clone(actions), res) {
			if strings.Contains(a, "*") {
				t.Errorf("wildcard %q in %v", a, s)
			}
		}
		out = append(out, strings.Join(actions, ",")+" on "+res)
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// tfModule is the parsed HCL of a directory.
type tfModule struct {
	resources map[string]*hclsyntax.Block // "type.name"
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	modules   map[string]*hclsyntax.Block
}

// parseTerraform parses every .tf file of dir with hcl/v2 and checks that
// each is formatted as `terraform fmt` (hclwrite.Format) leaves it.
func parseTerraform(t *testing.T, dir string) *tfModule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Terraform files in %s (%v)", dir, err)
	}
	m := &tfModule{resources: map[string]*hclsyntax.Block{}, variables: map[string]*hclsyntax.Block{},
		outputs: map[string]*hclsyntax.Block{}, modules: map[string]*hclsyntax.Block{}}
	p := hclparse.NewParser()
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if formatted := hclwrite.Format(src); string(formatted) != string(src) {
			t.Errorf("%s is not formatted as terraform fmt would:\n%s", path, cmp.Diff(string(formatted), string(src)))
		}
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", path, diags.Error())
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			switch b.Type {
			case "resource":
				m.resources[b.Labels[0]+"."+b.Labels[1]] = b
			case "variable":
				m.variables[b.Labels[0]] = b
			case "output":
				m.outputs[b.Labels[0]] = b
			case "module":
				m.modules[b.Labels[0]] = b
			}
		}
	}
	return m
}

// tfEval evaluates an expression of the module with every reference
// standing for itself: var.x is the string "var.x", aws_sqs_queue.jobs.arn
// the string "aws_sqs_queue.jobs.arn".
func tfEval(t *testing.T, expr hclsyntax.Expression) any {
	t.Helper()
	tree := map[string]any{}
	for _, tr := range expr.Variables() {
		node := tree
		var names []string
		for _, step := range tr {
			switch s := step.(type) {
			case hcl.TraverseRoot:
				names = append(names, s.Name)
			case hcl.TraverseAttr:
				names = append(names, s.Name)
			}
		}
		for i, n := range names {
			if i == len(names)-1 {
				node[n] = strings.Join(names, ".")
				break
			}
			next, ok := node[n].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[n] = next
			}
			node = next
		}
	}
	var toCty func(v any) cty.Value
	toCty = func(v any) cty.Value {
		if s, ok := v.(string); ok {
			return cty.StringVal(s)
		}
		obj := map[string]cty.Value{}
		for k, x := range v.(map[string]any) {
			obj[k] = toCty(x)
		}
		return cty.ObjectVal(obj)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: map[string]function.Function{
		"jsonencode": stdlib.JSONEncodeFunc,
		"filebase64sha256": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.StringVal("filebase64sha256(" + args[0].AsString() + ")"), nil
			},
		}),
	}}
	for k, v := range tree {
		ctx.Variables[k] = toCty(v)
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("evaluating %s: %s", expr.Range(), diags.Error())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// tfAttr evaluates the attribute at path in block b, through nested blocks
// ("environment.variables") and object keys; nil if absent.
func tfAttr(t *testing.T, b *hclsyntax.Block, path string) any {
	t.Helper()
	parts := strings.Split(path, ".")
	body := b.Body
	for i, p := range parts {
		if a, ok := body.Attributes[p]; ok {
			v := tfEval(t, a.Expr)
			for _, k := range parts[i+1:] {
				m, _ := v.(map[string]any)
				v = m[k]
			}
			return v
		}
		var next *hclsyntax.Body
		for _, nb := range body.Blocks {
			if nb.Type == p {
				next = nb.Body
				break
			}
		}
		if next == nil {
			return nil
		}
		body = next
	}
	return nil
}

// Names both sides' values are normalised to: parameters by their
// template name, resources by their logical id and CloudFormation's
// attribute, the stack name (Terraform's var.name) as ${name}.
var (
	tfVarRef = regexp.MustCompile(`var\.([a-z0-9_]+)`)
	tfResRef = regexp.MustCompile(`(aws_[a-z_]+)\.([a-z_]+)\.([a-z_]+)(:\*)?`)
	cfnRef   = regexp.MustCompile(`ref:([A-Za-z0-9]+)|getatt:([A-Za-z0-9]+)\.([A-Za-z]+)`)
	// tfAttrs maps a Terraform attribute to what CloudFormation's Ref or
	// GetAtt gives of the same resource.
	tfAttrs = map[string]string{
		"aws_sqs_queue.url": "Ref", "aws_sqs_queue.arn": "Arn", "aws_sqs_queue.name": "QueueName",
		"aws_lambda_function.function_name": "Ref", "aws_lambda_function.arn": "Arn",
		"aws_cloudwatch_log_group.name": "Ref", "aws_cloudwatch_log_group.arn:*": "Arn",
		"aws_iam_role.arn": "Arn", "aws_iam_role.id": "Ref", "aws_lambda_function_url.function_url": "FunctionUrl",
	}
)

func camel(snake string) string {
	var b strings.Builder
	for _, w := range strings.Split(snake, "_") {
		switch w {
		case "github":
			b.WriteString("GitHub")
		default:
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func normalize(t *testing.T, v any, params map[string]bool, tf bool) any {
	switch v := v.(type) {
	case string:
		if tf {
			byAddr := map[string]string{}
			for logical, addr := range resources {
				byAddr[addr] = logical
			}
			v = tfResRef.ReplaceAllStringFunc(v, func(m string) string {
				g := tfResRef.FindStringSubmatch(m)
				attr, ok := tfAttrs[g[1]+"."+g[3]+g[4]]
				logical, known := byAddr[g[1]+"."+g[2]]
				if !ok || !known {
					t.Errorf("Terraform reference %s has no CloudFormation counterpart in this test", m)
				}
				return logical + "." + attr
			})
			v = tfVarRef.ReplaceAllStringFunc(v, func(m string) string {
				name := strings.TrimPrefix(m, "var.")
				if name == "name" {
					return "${name}"
				}
				return "param:" + camel(name)
			})
			return v
		}
		v = strings.ReplaceAll(v, "goformation-stack", "${name}")
		return cfnRef.ReplaceAllStringFunc(v, func(m string) string {
			g := cfnRef.FindStringSubmatch(m)
			if g[1] != "" {
				if params[g[1]] {
					return "param:" + g[1]
				}
				return g[1] + ".Ref"
			}
			return g[2] + "." + g[3]
		})
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(t, x, params, tf)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = normalize(t, x, params, tf)
		}
		return out
	}
	return v
}

// sameProperties pairs each resource type's properties in the template
// with the Terraform arguments that must hold the same value.
var sameProperties = map[string][][2]string{
	"AWS::Serverless::Function": {{"FunctionName", "function_name"}, {"Handler", "handler"}, {"Runtime", "runtime"},
		{"Architectures", "architectures"}, {"MemorySize", "memory_size"}, {"Timeout", "timeout"}, {"Role", "role"},
		{"Environment.Variables", "environment.variables"}, {"LoggingConfig.LogFormat", "logging_config.log_format"},
		{"LoggingConfig.LogGroup", "logging_config.log_group"}, {"LoggingConfig.ApplicationLogLevel", "logging_config.application_log_level"},
		{"LoggingConfig.SystemLogLevel", "logging_config.system_log_level"}},
	"AWS::Lambda::Url": {{"AuthType", "authorization_type"}, {"InvokeMode", "invoke_mode"}},
	"AWS::Lambda::Permission": {{"Action", "action"}, {"Principal", "principal"}, {"FunctionName", "function_name"},
		{"FunctionUrlAuthType", "function_url_auth_type"}, {"InvokedViaFunctionUrl", "invoked_via_function_url"}},
	"AWS::SQS::Queue": {{"QueueName", "name"}, {"FifoQueue", "fifo_queue"}, {"ContentBasedDeduplication", "content_based_deduplication"},
		{"DeduplicationScope", "deduplication_scope"}, {"FifoThroughputLimit", "fifo_throughput_limit"},
		{"VisibilityTimeout", "visibility_timeout_seconds"}, {"MessageRetentionPeriod", "message_retention_seconds"},
		{"SqsManagedSseEnabled", "sqs_managed_sse_enabled"}, {"RedrivePolicy", "redrive_policy"}},
	"AWS::CloudWatch::Alarm": {{"AlarmName", "alarm_name"}, {"Namespace", "namespace"}, {"MetricName", "metric_name"},
		{"Statistic", "statistic"}, {"Period", "period"}, {"EvaluationPeriods", "evaluation_periods"}, {"Threshold", "threshold"},
		{"ComparisonOperator", "comparison_operator"}, {"TreatMissingData", "treat_missing_data"}},
	"AWS::Logs::LogGroup": {{"LogGroupName", "name"}, {"RetentionInDays", "retention_in_days"}},
	"AWS::Lambda::EventSourceMapping": {{"EventSourceArn", "event_source_arn"}, {"FunctionName", "function_name"},
		{"BatchSize", "batch_size"}, {"FunctionResponseTypes", "function_response_types"},
		{"ScalingConfig.MaximumConcurrency", "scaling_config.maximum_concurrency"}, {"Enabled", "enabled"}},
	"AWS::IAM::Role": {{"AssumeRolePolicyDocument", "assume_role_policy"}},
}

// TestTerraform checks infra/terraform against template.yaml: the module
// is formatted and parses, holds the same resources with the same
// properties, takes the template's parameters as variables, and the
// example root uses it with every required variable.
func TestTerraform(t *testing.T) {
	_, raw := parseTemplate(t)
	cfn := rawTemplate(t, false)
	mod := parseTerraform(t, terraformDir)

	params := map[string]bool{}
	for p := range cfn["Parameters"].(map[string]any) {
		params[p] = true
	}

	t.Run("resources", func(t *testing.T) {
		var want, got []string
		for _, addr := range resources {
			want = append(want, addr)
		}
		// Terraform keeps a role's inline policy in a resource of its own.
		want = append(want, "aws_iam_role_policy.receiver", "aws_iam_role_policy.worker")
		for addr := range mod.resources {
			got = append(got, addr)
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Terraform resources (-want +got):\n%s", diff)
		}
	})

	t.Run("properties", func(t *testing.T) {
		for logical, addr := range resources {
			b := mod.resources[addr]
			if b == nil {
				continue
			}
			typ := raw["Resources"].(map[string]any)[logical].(map[string]any)["Type"].(string)
			for _, pair := range sameProperties[typ] {
				var c any = props(cfn, logical)
				for _, k := range strings.Split(pair[0], ".") {
					m, _ := c.(map[string]any)
					c = m[k]
				}
				tv := tfAttr(t, b, pair[1])
				if s, ok := tv.(string); ok && strings.HasPrefix(s, "{") { // jsonencode
					json.Unmarshal([]byte(s), &tv)
				}
				cn, tn := normalize(t, c, params, false), normalize(t, tv, params, true)
				if diff := cmp.Diff(cn, tn); diff != "" {
					t.Errorf("%s.%s vs %s.%s (-template +terraform):\n%s", logical, pair[0], addr, pair[1], diff)
				}
			}
		}
		// The URL's target, and the alarm's dimension, have another shape.
		if got := normalize(t, tfAttr(t, mod.resources["aws_lambda_function_url.receiver"], "function_name"), params, true); got != "Receiver.Ref" {
			t.Errorf("the Function URL is for %v, want the receiver", got)
		}
		if got := normalize(t, tfAttr(t, mod.resources["aws_cloudwatch_metric_alarm.dead_letters"], "dimensions"), params, true); !cmp.Equal(got, map[string]any{"QueueName": "DeadLetterQueue.QueueName"}) {
			t.Errorf("the alarm watches %v, want the dead-letter queue", got)
		}
		// Inline policies: the same grants as the template's roles.
		for role, addr := range map[string]string{"ReceiverRole": "aws_iam_role_policy.receiver", "WorkerRole": "aws_iam_role_policy.worker"} {
			policies := props(cfn, role)["Policies"].([]any)
			c := normalize(t, policies[0].(map[string]any)["PolicyDocument"], params, false)
			var tv any
			json.Unmarshal([]byte(tfAttr(t, mod.resources[addr], "policy").(string)), &tv)
			if diff := cmp.Diff(c, normalize(t, tv, params, true)); diff != "" {
				t.Errorf("%s's policy vs %s (-template +terraform):\n%s", role, addr, diff)
			}
			if got := normalize(t, tfAttr(t, mod.resources[addr], "role"), params, true); got != role+".Ref" {
				t.Errorf("%s attaches to %v, want %s", addr, got, role)
			}
		}
	})

	t.Run("variables", func(t *testing.T) {
		// Terraform's own: the name prefix (the stack name), the package's
		// path (SAM's CodeUri) and tags.
		want := map[string]any{"name": "djintegrity", "package_file": nil, "tags": map[string]any{}}
		for p, def := range cfn["Parameters"].(map[string]any) {
			snake := regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(strings.ReplaceAll(p, "GitHub", "Github"), "${1}_${2}")
			snake = strings.ToLower(snake)
			want[snake] = def.(map[string]any)["Default"]
		}
		got := map[string]any{}
		for name, b := range mod.variables {
			var def any
			if a, ok := b.Body.Attributes["default"]; ok {
				def = tfEval(t, a.Expr)
			}
			got[name] = def
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("variables and defaults (-want, from the template's parameters +got):\n%s", diff)
		}
		for name := range mod.outputs {
			if !slices.Contains([]string{"webhook_url", "queue_url", "dead_letter_queue_url", "receiver_log_group_name", "worker_log_group_name"}, name) {
				t.Errorf("output %s is not one of the template's", name)
			}
		}
		if len(mod.outputs) != len(cfn["Outputs"].(map[string]any)) {
			t.Errorf("%d outputs, the template has %d", len(mod.outputs), len(cfn["Outputs"].(map[string]any)))
		}
	})

	t.Run("example root", func(t *testing.T) {
		ex := parseTerraform(t, exampleDir)
		m := ex.modules["djintegrity"]
		if m == nil {
			t.Fatal(`the example has no module "djintegrity"`)
		}
		if src := tfAttr(t, m, "source"); src != "../.." {
			t.Errorf("module source %v, want ../.. (the module)", src)
		}
		for name, b := range mod.variables {
			if _, hasDefault := b.Body.Attributes["default"]; !hasDefault && m.Body.Attributes[name] == nil {
				t.Errorf("the example does not set the required variable %s", name)
			}
		}
		for name := range m.Body.Attributes {
			if name != "source" && mod.variables[name] == nil {
				t.Errorf("the example sets %s, which the module does not declare", name)
			}
		}
		// The package the example deploys is the one the build script
		// writes.
		pkg := fmt.Sprint(tfAttr(t, m, "package_file"))
		rel := filepath.Clean(filepath.Join("infra/terraform/examples/complete", strings.TrimPrefix(pkg, "path.module/")))
		if rel != packageOutput {
			t.Errorf("the example deploys %s, want %s", rel, packageOutput)
		}
		script, err := os.ReadFile(buildScript)
		if err != nil || !strings.Contains(string(script), "out=${1:-dist}") || !strings.Contains(string(script), "bootstrap.zip") {
			t.Errorf("scripts/build-lambda.sh no longer writes %s by default", packageOutput)
		}
	})
}
