"""Tests for restart_service.py: a RotationSucceeded event forces a new deployment of the service, nothing else does.

The ECS client is a real boto3 client driven by botocore's Stubber.
"""
import os
import unittest
from unittest import mock

import boto3
from botocore.stub import Stubber

import integrations_support  # noqa: F401  (puts the function sources on sys.path)
import restart_service

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/openmrs-dev-EcsCluster-AbC"
SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/openmrs-dev-EcsCluster-AbC/openmrs-dev-OpenmrsService-XyZ"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0123-AbCdEf"


def rotation_event(event_name="RotationSucceeded"):
    """The shape EventBridge delivers for a Secrets Manager service event recorded by CloudTrail."""
    return {
        "version": "0",
        "source": "aws.secretsmanager",
        "detail-type": "AWS Service Event via CloudTrail",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": event_name,
            "eventType": "AwsServiceEvent",
            "additionalEventData": {"SecretId": SECRET},
        },
    }


def service_response(deployments):
    return {
        "service": {
            "serviceArn": SERVICE,
            "serviceName": "openmrs-dev-OpenmrsService-XyZ",
            "clusterArn": CLUSTER,
            "deployments": deployments,
        }
    }


class RestartServiceTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.dict(os.environ, {"CLUSTER": CLUSTER, "SERVICE": SERVICE})
        patcher.start()
        self.addCleanup(patcher.stop)
        self.ecs = boto3.client("ecs", region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        self.stubber = Stubber(self.ecs)

    def test_rotation_forces_a_new_deployment_of_the_service(self):
        self.stubber.add_response(
            "update_service",
            service_response([
                {"id": "ecs-svc/new", "status": "PRIMARY"},
                {"id": "ecs-svc/old", "status": "ACTIVE"},
            ]),
            {"cluster": CLUSTER, "service": SERVICE, "forceNewDeployment": True},
        )
        with self.stubber:
            result = restart_service.handler(rotation_event(), None, ecs=self.ecs)
        self.stubber.assert_no_pending_responses()
        self.assertEqual(result, {"restarted": True, "deployment": "ecs-svc/new"})

    def test_other_events_change_nothing(self):
        for name in ("RotationFailed", "RotationStarted", None):
            with self.stubber:  # no response queued: any ECS call would fail the test
                result = restart_service.handler(rotation_event(name), None, ecs=self.ecs)
            self.assertEqual(result, {"restarted": False})

    def test_event_without_detail_changes_nothing(self):
        with self.stubber:
            self.assertEqual(restart_service.handler({}, None, ecs=self.ecs), {"restarted": False})

    def test_ecs_error_propagates_so_the_invocation_is_retried_then_dead_lettered(self):
        self.stubber.add_client_error("update_service", "ServiceNotFoundException", "gone")
        with self.stubber, self.assertRaises(self.ecs.exceptions.ServiceNotFoundException):
            restart_service.handler(rotation_event(), None, ecs=self.ecs)


if __name__ == "__main__":
    unittest.main()
