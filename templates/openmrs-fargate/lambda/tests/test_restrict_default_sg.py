"""Tests for restrict_default_sg.py: rules revoked on Create/Update, nothing on Delete, always an answer."""

import os
import sys
import types
import unittest

import boto3
from botocore.stub import Stubber

sent = []
cfnresponse = types.ModuleType("cfnresponse")
cfnresponse.SUCCESS, cfnresponse.FAILED = "SUCCESS", "FAILED"
cfnresponse.send = lambda event, context, status, data, physical_id, reason=None: sent.append((status, physical_id, reason))
sys.modules["cfnresponse"] = cfnresponse
sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import restrict_default_sg  # noqa: E402

INGRESS = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]}]
EGRESS = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def event(request_type):
    return {"RequestType": request_type, "ResourceProperties": {"DefaultSecurityGroupId": "sg-1"}}


class RestrictDefaultSecurityGroupTest(unittest.TestCase):
    def setUp(self):
        sent.clear()
        restrict_default_sg.ec2 = boto3.client("ec2", region_name="us-east-1")
        self.stub = Stubber(restrict_default_sg.ec2)

    def describe(self, ingress, egress):
        self.stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": ingress, "IpPermissionsEgress": egress}]},
            {"GroupIds": ["sg-1"]},
        )

    def test_create_revokes_ingress_and_egress(self):
        self.describe(INGRESS, EGRESS)
        self.stub.add_response("revoke_security_group_ingress", {"Return": True}, {"GroupId": "sg-1", "IpPermissions": INGRESS})
        self.stub.add_response("revoke_security_group_egress", {"Return": True}, {"GroupId": "sg-1", "IpPermissions": EGRESS})
        with self.stub:
            restrict_default_sg.handler(event("Create"), None)
        self.stub.assert_no_pending_responses()
        self.assertEqual(sent, [("SUCCESS", "restrict-sg-1", None)])

    def test_update_of_an_empty_group_revokes_nothing(self):
        self.describe([], [])
        with self.stub:
            restrict_default_sg.handler(dict(event("Update"), PhysicalResourceId="p"), None)
        self.assertEqual(sent, [("SUCCESS", "p", None)])

    def test_delete_touches_nothing(self):
        with self.stub:
            restrict_default_sg.handler(event("Delete"), None)
        self.assertEqual(sent, [("SUCCESS", "restrict-sg-1", None)])

    def test_failures_still_answer(self):
        self.stub.add_client_error("describe_security_groups", "InvalidGroup.NotFound", "no such group")
        with self.stub:
            restrict_default_sg.handler(event("Create"), None)
        self.assertEqual(sent[0][0], "FAILED")
        self.assertIn("no such group", sent[0][2])


if __name__ == "__main__":
    unittest.main()
