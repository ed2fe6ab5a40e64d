import unittest

import boto3
from botocore.stub import Stubber

import integrations_support  # noqa: F401  (puts the Lambda folder on sys.path)
import efs_export

ENV = {
    "CLUSTER": "arn:aws:ecs:us-east-1:123456789012:cluster/openmrs",
    "TASK_DEFINITION": "arn:aws:ecs:us-east-1:123456789012:task-definition/efs-export:2",
    "SUBNETS": "subnet-1,subnet-2",
    "SECURITY_GROUP": "sg-1",
}
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/openmrs/0123456789abcdef"


class EfsExportTest(unittest.TestCase):
    def setUp(self):
        self.ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        self.stubber = Stubber(self.ecs)
        self.expected = {
            "cluster": ENV["CLUSTER"],
            "taskDefinition": ENV["TASK_DEFINITION"],
            "launchType": "FARGATE",
            "count": 1,
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        }

    def test_starts_task_and_returns_its_arn(self):
        self.stubber.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, self.expected)
        with self.stubber:
            self.assertEqual(efs_export.run_export(self.ecs, ENV), TASK_ARN)
        self.stubber.assert_no_pending_responses()

    def test_failures_raise(self):
        self.stubber.add_response("run_task", {"tasks": [], "failures": [{"reason": "RESOURCE:ENI"}]},
                                  self.expected)
        with self.stubber, self.assertRaisesRegex(RuntimeError, "RESOURCE:ENI"):
            efs_export.run_export(self.ecs, ENV)


if __name__ == "__main__":
    unittest.main()
