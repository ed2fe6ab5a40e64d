import unittest

import boto3
from botocore.stub import Stubber

import integrations_support
import ses_rule_set

RULE_SET = "openmrs-prod-ReceiptRuleSet-1A2B3C4D"


def event(request_type, rule_set=RULE_SET):
    props = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x"}
    if rule_set:
        props["RuleSetName"] = rule_set
    return {"RequestType": request_type, "LogicalResourceId": "ReceiptRuleSetActivation",
            "PhysicalResourceId": RULE_SET, "ResourceProperties": props}


class RuleSetActivationTest(unittest.TestCase):
    def setUp(self):
        self.responses = integrations_support.Recorder()
        ses_rule_set.cfnresponse = self.responses
        self.client = boto3.client("ses", region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.stubber = Stubber(self.client)

    def run_handler(self, request):
        with self.stubber:
            ses_rule_set.handler(request, None, ses=self.client)
        self.stubber.assert_no_pending_responses()
        self.assertEqual(len(self.responses.calls), 1, "exactly one answer to CloudFormation")
        return self.responses.calls[0]

    def test_create_activates(self):
        self.stubber.add_response("set_active_receipt_rule_set", {}, {"RuleSetName": RULE_SET})
        answer = self.run_handler(event("Create"))
        self.assertEqual((answer["status"], answer["physical_id"]), ("SUCCESS", RULE_SET))

    def test_update_activates(self):
        self.stubber.add_response("set_active_receipt_rule_set", {}, {"RuleSetName": RULE_SET})
        self.assertEqual(self.run_handler(event("Update"))["status"], "SUCCESS")

    def test_delete_deactivates_when_still_active(self):
        self.stubber.add_response("describe_active_receipt_rule_set",
                                  {"Metadata": {"Name": RULE_SET}, "Rules": []}, {})
        self.stubber.add_response("set_active_receipt_rule_set", {}, {})  # no name: deactivate
        self.assertEqual(self.run_handler(event("Delete"))["status"], "SUCCESS")

    def test_delete_leaves_another_active_rule_set_alone(self):
        self.stubber.add_response("describe_active_receipt_rule_set",
                                  {"Metadata": {"Name": "someone-else"}, "Rules": []}, {})
        self.assertEqual(self.run_handler(event("Delete"))["status"], "SUCCESS")

    def test_delete_when_nothing_is_active(self):
        self.stubber.add_response("describe_active_receipt_rule_set", {}, {})
        self.assertEqual(self.run_handler(event("Delete"))["status"], "SUCCESS")

    def test_delete_without_rule_set_succeeds_without_calls(self):
        self.assertEqual(self.run_handler(event("Delete", rule_set=None))["status"], "SUCCESS")

    def test_create_error_answers_failed(self):
        self.stubber.add_client_error("set_active_receipt_rule_set", "RuleSetDoesNotExist", "no such rule set")
        answer = self.run_handler(event("Create"))
        self.assertEqual(answer["status"], "FAILED")
        self.assertIn("no such rule set", answer["reason"])

    def test_create_without_rule_set_answers_failed(self):
        answer = self.run_handler(event("Create", rule_set=None))
        self.assertEqual(answer["status"], "FAILED")


if __name__ == "__main__":
    unittest.main()
