# djintegrity on AWS, the same resources as template.yaml: a Function URL
# receives GitHub App webhooks and queues each review on an SQS FIFO queue; a
# worker Lambda reviews the pull request. Build the package with
# scripts/build-lambda.sh first.

# A job that keeps failing lands here after max_receive_count deliveries and
# stays 14 days (SQS's longest retention) for someone to look at.
resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dlq.fifo"
  fifo_queue                = true
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# One message group per pull request (owner/repo#number): SQS hands a pull
# request's reviews to the worker one at a time, in order, while different
# pull requests run in parallel. The deduplication id (delivery and pull
# request) drops a redelivered webhook within 5 minutes.
resource "aws_sqs_queue" "jobs" {
  name                        = "${var.name}-jobs.fifo"
  fifo_queue                  = true
  content_based_deduplication = false
  deduplication_scope         = "messageGroup"
  fifo_throughput_limit       = "perMessageGroupId"
  # At least 6 x the worker's timeout (120 s), as Lambda advises for SQS
  # event sources, so a message is not handed out again while a (retried,
  # throttled) invocation may still be working on it. It is also the delay
  # before a failed job is retried.
  visibility_timeout_seconds = 720
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "A djintegrity review failed max_receive_count times and is in the dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_log_group" "receiver" {
  name              = "/aws/lambda/${var.name}-receiver"
  retention_in_days = var.log_retention_in_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/${var.name}-worker"
  retention_in_days = var.log_retention_in_days
  tags              = var.tags
}

# Least privilege: the receiver may write its logs, send to the queue and read
# the webhook secret; nothing else.
resource "aws_iam_role" "receiver" {
  name = "${var.name}-receiver"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "receiver" {
  name = "receiver"
  role = aws_iam_role.receiver.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.receiver.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.jobs.arn
      },
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = var.webhook_secret_arn
      },
    ]
  })
}

# The worker may write its logs, consume the queue (what the event source
# mapping needs) and read the private key; nothing else.
resource "aws_iam_role" "worker" {
  name = "${var.name}-worker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "worker" {
  name = "worker"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.worker.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
        Resource = aws_sqs_queue.jobs.arn
      },
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = var.private_key_secret_arn
      },
    ]
  })
}

# 128 MB: the receiver checks a signature, parses JSON and makes one SQS call;
# it measured 18 MB peak and under 1 ms per delivery besides SQS. 10 s
# timeout: GitHub waits 10 s for an answer, so a later one is wasted.
resource "aws_lambda_function" "receiver" {
  function_name    = "${var.name}-receiver"
  description      = "djintegrity webhook receiver (Function URL -> SQS)"
  filename         = var.package_file
  source_code_hash = filebase64sha256(var.package_file)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = 128
  timeout          = 10
  role             = aws_iam_role.receiver.arn

  environment {
    variables = {
      DJINTEGRITY_LAMBDA_ROLE        = "receiver"
      DJINTEGRITY_APP_ID             = var.app_id
      DJINTEGRITY_QUEUE_URL          = aws_sqs_queue.jobs.url
      DJINTEGRITY_WEBHOOK_SECRET_ARN = var.webhook_secret_arn
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.receiver.name
    application_log_level = "INFO"
    system_log_level      = "INFO"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.receiver]
}

# lambdaurl serves Function URLs in RESPONSE_STREAM mode. Authorization NONE:
# GitHub cannot sign AWS requests; the webhook signature (X-Hub-Signature-256)
# is the authentication.
resource "aws_lambda_function_url" "receiver" {
  function_name      = aws_lambda_function.receiver.function_name
  authorization_type = "NONE"
  invoke_mode        = "RESPONSE_STREAM"
}

# A public Function URL needs both permissions (Lambda's rule for URLs created
# since October 2025); the second holds only through the URL.
resource "aws_lambda_permission" "receiver_url" {
  statement_id           = "djintegrity-url-public"
  function_name          = aws_lambda_function.receiver.function_name
  action                 = "lambda:InvokeFunctionUrl"
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "receiver_invoke" {
  statement_id             = "djintegrity-url-invoke"
  function_name            = aws_lambda_function.receiver.function_name
  action                   = "lambda:InvokeFunction"
  principal                = "*"
  invoked_via_function_url = true
}

# Memory buys CPU: Lambda gives one vCPU at 1,769 MB and a share in proportion
# below. A ten-file review measured 19 MB peak, so 128 MB would hold it, but
# parsing Python with tree-sitter is CPU work: at 512 MB (~0.29 vCPU) it runs
# about 4x sooner than at 128 MB, and a review mostly waits on GitHub, which
# costs the same either way at this volume (see the README's cost section).
# 120 s timeout: a 3,000-file pull request with GitHub's rate-limit waits
# fits; the worker stops starting jobs 15 s before it, so a review that runs
# out of time completes its check run as neutral.
resource "aws_lambda_function" "worker" {
  function_name    = "${var.name}-worker"
  description      = "djintegrity review worker (SQS -> GitHub)"
  filename         = var.package_file
  source_code_hash = filebase64sha256(var.package_file)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = var.worker_memory_size
  timeout          = 120
  role             = aws_iam_role.worker.arn

  environment {
    variables = {
      DJINTEGRITY_LAMBDA_ROLE            = "worker"
      DJINTEGRITY_APP_ID                 = var.app_id
      DJINTEGRITY_PRIVATE_KEY_SECRET_ARN = var.private_key_secret_arn
      DJINTEGRITY_GITHUB_URL             = var.github_url
      # The worker gives a job up on its last delivery (completing the
      # check run it left in progress) instead of running it again.
      DJINTEGRITY_MAX_RECEIVE_COUNT = var.max_receive_count
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.worker.name
    application_log_level = "INFO"
    system_log_level      = "INFO"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.worker]
}

# Lambda checks the role's SQS permissions when the mapping is created, hence
# the dependency on the role's policy.
resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn        = aws_sqs_queue.jobs.arn
  function_name           = aws_lambda_function.worker.arn
  batch_size              = var.worker_batch_size
  function_response_types = ["ReportBatchItemFailures"]
  enabled                 = true

  scaling_config {
    maximum_concurrency = var.worker_max_concurrency
  }

  depends_on = [aws_iam_role_policy.worker]
}
