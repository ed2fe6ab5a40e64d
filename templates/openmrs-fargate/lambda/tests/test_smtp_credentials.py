import base64
import hashlib
import hmac
import json
import unittest

import boto3
from botocore.stub import ANY, Stubber

import integrations_support
import smtp_credentials

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Computed once from AWS's documented algorithm and frozen: a change to the derivation breaks this.
EXPECTED_US_EAST_1 = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"


def documented_derivation(secret, region):
    """AWS's steps, written out independently of the function under test."""
    key = ("AWS4" + secret).encode("utf-8")
    date_key = hmac.new(key, b"11111111", hashlib.sha256).digest()
    region_key = hmac.new(date_key, region.encode("utf-8"), hashlib.sha256).digest()
    service_key = hmac.new(region_key, b"ses", hashlib.sha256).digest()
    terminal_key = hmac.new(service_key, b"aws4_request", hashlib.sha256).digest()
    message_key = hmac.new(terminal_key, b"SendRawEmail", hashlib.sha256).digest()
    return base64.b64encode(b"\x04" + message_key).decode("ascii")


class SmtpPasswordTest(unittest.TestCase):
    def test_known_vector(self):
        self.assertEqual(smtp_credentials.smtp_password(SECRET, "us-east-1"), EXPECTED_US_EAST_1)

    def test_matches_documented_steps(self):
        for region in ("us-east-1", "eu-west-1", "ap-southeast-4"):
            self.assertEqual(smtp_credentials.smtp_password(SECRET, region), documented_derivation(SECRET, region))

    def test_version_byte_and_length(self):
        raw = base64.b64decode(smtp_credentials.smtp_password(SECRET, "us-east-1"))
        self.assertEqual(raw[0], 0x04)
        self.assertEqual(len(raw), 33)

    def test_region_changes_password(self):
        self.assertNotEqual(smtp_credentials.smtp_password(SECRET, "us-east-1"),
                            smtp_credentials.smtp_password(SECRET, "eu-west-1"))


def event(request_type):
    return {
        "RequestType": request_type,
        "LogicalResourceId": "SmtpCredentialsSetup",
        "ResourceProperties": {
            "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "AccessKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf",
            "CredentialsSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:smtp-AbCdEf",
            "Region": "us-east-1",
        },
    }


class HandlerTest(unittest.TestCase):
    def setUp(self):
        self.responses = integrations_support.Recorder()
        smtp_credentials.cfnresponse = self.responses
        self.client = boto3.client("secretsmanager", region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.stubber = Stubber(self.client)

    def test_create_writes_username_and_derived_password(self):
        props = event("Create")["ResourceProperties"]
        self.stubber.add_response("get_secret_value", {"SecretString": SECRET},
                                  {"SecretId": props["AccessKeySecretArn"]})
        expected = json.dumps({"username": "AKIAIOSFODNN7EXAMPLE", "password": EXPECTED_US_EAST_1})
        self.stubber.add_response("put_secret_value", {},
                                  {"SecretId": props["CredentialsSecretArn"], "SecretString": expected})
        with self.stubber:
            smtp_credentials.handler(event("Create"), None, secrets=self.client)
        self.stubber.assert_no_pending_responses()
        self.assertEqual(self.responses.calls, [
            {"status": "SUCCESS", "data": {}, "physical_id": props["CredentialsSecretArn"], "reason": None}])

    def test_update_rewrites(self):
        self.stubber.add_response("get_secret_value", {"SecretString": SECRET}, {"SecretId": ANY})
        self.stubber.add_response("put_secret_value", {}, {"SecretId": ANY, "SecretString": ANY})
        with self.stubber:
            smtp_credentials.handler(event("Update"), None, secrets=self.client)
        self.stubber.assert_no_pending_responses()
        self.assertEqual(self.responses.calls[0]["status"], "SUCCESS")

    def test_delete_touches_nothing_and_succeeds(self):
        with self.stubber:  # any AWS call would fail: no responses are queued
            smtp_credentials.handler(event("Delete"), None, secrets=self.client)
        self.assertEqual([c["status"] for c in self.responses.calls], ["SUCCESS"])

    def test_error_answers_failed_without_leaking_the_secret(self):
        self.stubber.add_response("get_secret_value", {"SecretString": SECRET}, {"SecretId": ANY})
        self.stubber.add_client_error("put_secret_value", "AccessDeniedException", "denied")
        with self.stubber:
            smtp_credentials.handler(event("Create"), None, secrets=self.client)
        self.assertEqual(len(self.responses.calls), 1)
        call = self.responses.calls[0]
        self.assertEqual(call["status"], "FAILED")
        self.assertIn("AccessDenied", call["reason"])
        self.assertNotIn(SECRET, call["reason"])
        self.assertNotIn(EXPECTED_US_EAST_1, call["reason"])


if __name__ == "__main__":
    unittest.main()
