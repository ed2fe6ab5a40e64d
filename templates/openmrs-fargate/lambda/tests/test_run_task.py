"""Tests for run_task.py: event parsing, RunTask parameters, waiting, exit codes and the custom-resource answer.

The ECS client is a real boto3 client driven by botocore's Stubber; cfnresponse is a stub module in sys.modules.
"""
import os
import sys
import types
import unittest
from unittest import mock

from botocore.stub import Stubber

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

cfnresponse = types.ModuleType("cfnresponse")
cfnresponse.SUCCESS = "SUCCESS"
cfnresponse.FAILED = "FAILED"
cfnresponse.send = mock.Mock()
sys.modules["cfnresponse"] = cfnresponse
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import run_task  # noqa: E402

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/openmrs"
TASK_DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/ssl-materials:3"
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/openmrs/0123456789abcdef"
ENVIRONMENT = {
    "CLUSTER": CLUSTER,
    "TASK_DEFINITION": TASK_DEFINITION,
    "SUBNETS": "subnet-1,subnet-2",
    "SECURITY_GROUPS": "sg-1",
    "WAIT": "true",
}
RUN_TASK_PARAMS = {
    "cluster": CLUSTER,
    "taskDefinition": TASK_DEFINITION,
    "launchType": "FARGATE",
    "count": 1,
    "startedBy": "omrs-run-task",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-1", "subnet-2"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    },
}
DESCRIBE_PARAMS = {"cluster": CLUSTER, "tasks": [TASK_ARN]}


def custom_resource_event(request_type, physical_id=None):
    event = {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/response",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/openmrs-dev/guid",
        "RequestId": "request-1",
        "LogicalResourceId": "SslMaterialsSetup",
        "ResourceType": "Custom::RunTask",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"},
    }
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    return event


SCHEDULED_EVENT = {
    "version": "0",
    "id": "event-1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2025-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/ssl"],
    "detail": {},
}


def started(task_arn=TASK_ARN):
    return {"tasks": [{"taskArn": task_arn, "lastStatus": "PROVISIONING"}], "failures": []}


def described(status, containers=None, stopped_reason=None):
    task = {"taskArn": TASK_ARN, "lastStatus": status, "containers": containers or []}
    if stopped_reason:
        task["stoppedReason"] = stopped_reason
    return {"tasks": [task], "failures": []}


def container(exit_code=None, reason=None):
    value = {"name": "openmrs", "lastStatus": "STOPPED"}
    if exit_code is not None:
        value["exitCode"] = exit_code
    if reason:
        value["reason"] = reason
    return value


class Context:
    """Lambda context with a fixed amount of remaining time."""

    log_stream_name = "2025/01/01/[$LATEST]abc"

    def __init__(self, remaining_ms=900_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


class RunTaskTest(unittest.TestCase):
    def setUp(self):
        cfnresponse.send.reset_mock()
        self.stubber = Stubber(run_task.ecs)
        self.stubber.activate()
        self.addCleanup(self.stubber.deactivate)
        patcher = mock.patch.dict(os.environ, ENVIRONMENT)
        patcher.start()
        self.addCleanup(patcher.stop)
        sleep = mock.patch.object(run_task.time, "sleep")
        self.sleep = sleep.start()
        self.addCleanup(sleep.stop)

    def tearDown(self):
        self.stubber.assert_no_pending_responses()

    def answer(self):
        """The one answer sent to CloudFormation: (status, data, physical id, reason)."""
        self.assertEqual(cfnresponse.send.call_count, 1)
        args, kwargs = cfnresponse.send.call_args
        return args[2], args[3], args[4], kwargs.get("reason")

    def expect_run(self):
        self.stubber.add_response("run_task", started(), RUN_TASK_PARAMS)

    def expect_describe(self, response):
        self.stubber.add_response("describe_tasks", response, DESCRIBE_PARAMS)

    def test_create_runs_the_task_waits_and_answers_success(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(0)]))
        run_task.handler(custom_resource_event("Create"), Context())
        status, data, physical_id, reason = self.answer()
        self.assertEqual(status, "SUCCESS")
        self.assertEqual(data, {"TaskArn": TASK_ARN, "Status": "SUCCEEDED"})
        self.assertEqual(physical_id, "SslMaterialsSetup")
        self.assertIsNone(reason)

    def test_update_runs_the_task_again_and_keeps_the_physical_id(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(0)]))
        run_task.handler(custom_resource_event("Update", "existing-id"), Context())
        status, data, physical_id, _ = self.answer()
        self.assertEqual((status, physical_id), ("SUCCESS", "existing-id"))
        self.assertEqual(data["TaskArn"], TASK_ARN)

    def test_delete_answers_success_without_calling_ecs(self):
        run_task.handler(custom_resource_event("Delete", "existing-id"), Context())
        self.assertEqual(self.answer(), ("SUCCESS", {}, "existing-id", None))

    def test_waits_while_the_task_runs(self):
        self.expect_run()
        self.expect_describe({"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "MISSING"}]})
        self.expect_describe(described("PENDING"))
        self.expect_describe(described("RUNNING"))
        self.expect_describe(described("STOPPED", [container(0)]))
        run_task.handler(custom_resource_event("Create"), Context())
        self.assertEqual(self.answer()[0], "SUCCESS")
        self.assertEqual(self.sleep.call_args_list, [mock.call(10)] * 3)

    def test_non_zero_exit_code_answers_failed_with_the_reason(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(1)], "Essential container in task exited"))
        run_task.handler(custom_resource_event("Create"), Context())
        status, data, _, reason = self.answer()
        self.assertEqual((status, data), ("FAILED", {}))
        self.assertIn(TASK_ARN, reason)
        self.assertIn("container openmrs exit code 1", reason)
        self.assertIn("Essential container in task exited", reason)

    def test_container_that_never_started_is_a_failure(self):
        self.expect_run()
        self.expect_describe(
            described(
                "STOPPED",
                [container(reason="CannotPullContainerError: pull rate limit")],
                "Task failed to start",
            )
        )
        run_task.handler(custom_resource_event("Create"), Context())
        status, _, _, reason = self.answer()
        self.assertEqual(status, "FAILED")
        self.assertIn("exit code None CannotPullContainerError: pull rate limit", reason)
        self.assertIn("Task failed to start", reason)

    def test_run_task_failures_answer_failed(self):
        self.stubber.add_response(
            "run_task",
            {"tasks": [], "failures": [{"arn": TASK_DEFINITION, "reason": "RESOURCE:ENI"}]},
            RUN_TASK_PARAMS,
        )
        run_task.handler(custom_resource_event("Create"), Context())
        status, _, _, reason = self.answer()
        self.assertEqual(status, "FAILED")
        self.assertIn("RunTask started no task", reason)
        self.assertIn("RESOURCE:ENI", reason)

    def test_api_exception_answers_failed(self):
        self.stubber.add_client_error(
            "run_task", "AccessDeniedException", "not authorized to perform ecs:RunTask", 400, expected_params=RUN_TASK_PARAMS
        )
        run_task.handler(custom_resource_event("Create"), Context())
        status, _, physical_id, reason = self.answer()
        self.assertEqual((status, physical_id), ("FAILED", "SslMaterialsSetup"))
        self.assertIn("AccessDeniedException", reason)

    def test_missing_configuration_answers_failed(self):
        del os.environ["CLUSTER"]
        run_task.handler(custom_resource_event("Create"), Context())
        status, _, _, reason = self.answer()
        self.assertEqual(status, "FAILED")
        self.assertIn("CLUSTER", reason)

    def test_stops_waiting_before_the_lambda_deadline(self):
        self.expect_run()
        self.expect_describe(described("RUNNING"))
        run_task.handler(custom_resource_event("Create"), Context(remaining_ms=39_999))
        status, _, _, reason = self.answer()
        self.assertEqual(status, "FAILED")
        self.assertIn("was still RUNNING when this function had to stop waiting", reason)
        self.sleep.assert_not_called()

    def test_keeps_waiting_while_time_remains(self):
        self.expect_run()
        self.expect_describe(described("RUNNING"))
        self.expect_describe(described("STOPPED", [container(0)]))
        run_task.handler(custom_resource_event("Create"), Context(remaining_ms=40_000))
        self.assertEqual(self.answer()[0], "SUCCESS")

    def test_without_wait_returns_after_starting(self):
        for value in ("", "false", "0"):
            with self.subTest(WAIT=value):
                cfnresponse.send.reset_mock()
                os.environ["WAIT"] = value
                self.expect_run()
                run_task.handler(custom_resource_event("Create"), Context())
                self.assertEqual(self.answer()[:2], ("SUCCESS", {"TaskArn": TASK_ARN, "Status": "STARTED"}))
        del os.environ["WAIT"]
        self.expect_run()
        self.assertEqual(run_task.run(Context())["Status"], "STARTED")

    def test_long_failure_reason_is_truncated(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(2, "x" * 5000)]))
        run_task.handler(custom_resource_event("Create"), Context())
        self.assertEqual(len(self.answer()[3]), 900)

    def test_scheduled_event_runs_the_task_and_returns_the_result(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(0)]))
        result = run_task.handler(SCHEDULED_EVENT, Context())
        self.assertEqual(result, {"TaskArn": TASK_ARN, "Status": "SUCCEEDED"})
        cfnresponse.send.assert_not_called()

    def test_scheduled_event_failure_raises_so_the_invocation_fails(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(137)], "OutOfMemoryError"))
        with self.assertRaisesRegex(RuntimeError, "exit code 137"):
            run_task.handler(SCHEDULED_EVENT, Context())
        cfnresponse.send.assert_not_called()

    def test_direct_invocation_is_treated_like_a_scheduled_one(self):
        self.expect_run()
        self.expect_describe(described("STOPPED", [container(0)]))
        self.assertEqual(run_task.handler({}, Context())["Status"], "SUCCEEDED")
        cfnresponse.send.assert_not_called()


if __name__ == "__main__":
    unittest.main()
