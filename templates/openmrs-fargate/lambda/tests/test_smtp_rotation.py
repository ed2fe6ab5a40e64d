"""Tests for smtp_rotation.py: the SES SMTP password derivation and each step of the Secrets Manager rotation.

Secrets Manager and IAM are real boto3 clients driven by botocore's Stubber: a call the test did not queue fails.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import unittest
from unittest import mock

import boto3
from botocore.stub import Stubber

import integrations_support  # noqa: F401  (puts the function sources on sys.path)
import smtp_rotation

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Computed once from AWS's documented algorithm and frozen: a change to the derivation breaks this.
EXPECTED_US_EAST_1 = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:SmtpCredentialsSecret-AbCdEf"
USER = "openmrs-dev-SmtpUser-0123456789AB"
CURRENT = "00000000-0000-4000-8000-000000000001"
TOKEN = "00000000-0000-4000-8000-000000000002"
OLD_KEY = "AKIAOLDOLDOLDOLD0001"
IN_USE_KEY = "AKIAINUSEINUSEIN0002"
NEW_KEY = "AKIANEWNEWNEWNEW0003"
NEW_VALUE = json.dumps({"username": NEW_KEY, "password": EXPECTED_US_EAST_1})


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
        self.assertEqual(smtp_rotation.smtp_password(SECRET, "us-east-1"), EXPECTED_US_EAST_1)

    def test_matches_documented_steps(self):
        for region in ("us-east-1", "eu-west-1", "ap-southeast-4"):
            self.assertEqual(smtp_rotation.smtp_password(SECRET, region), documented_derivation(SECRET, region))

    def test_version_byte_and_length(self):
        raw = base64.b64decode(smtp_rotation.smtp_password(SECRET, "us-east-1"))
        self.assertEqual(raw[0], 0x04)
        self.assertEqual(len(raw), 33)

    def test_region_changes_password(self):
        self.assertNotEqual(smtp_rotation.smtp_password(SECRET, "us-east-1"),
                            smtp_rotation.smtp_password(SECRET, "eu-west-1"))


def key(key_id, day, status="Active"):
    return {"UserName": USER, "AccessKeyId": key_id, "Status": status,
            "CreateDate": datetime.datetime(2025, 1, day, tzinfo=datetime.timezone.utc)}


class RotationTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.dict(os.environ, {"SMTP_USER": USER})
        patcher.start()
        self.addCleanup(patcher.stop)
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.sm = boto3.client("secretsmanager", region_name="us-east-1", **credentials)
        self.iam = boto3.client("iam", region_name="us-east-1", **credentials)
        self.sm_stub = Stubber(self.sm)
        self.iam_stub = Stubber(self.iam)

    def run_step(self, step, token=TOKEN):
        with self.sm_stub, self.iam_stub:
            smtp_rotation.handler({"Step": step, "SecretId": ARN, "ClientRequestToken": token}, None,
                                  sm=self.sm, iam=self.iam)
        self.sm_stub.assert_no_pending_responses()
        self.iam_stub.assert_no_pending_responses()

    def describe(self, versions=None, enabled=True):
        versions = versions or {CURRENT: ["AWSCURRENT"], TOKEN: ["AWSPENDING"]}
        self.sm_stub.add_response("describe_secret", {"ARN": ARN, "RotationEnabled": enabled,
                                                      "VersionIdsToStages": versions}, {"SecretId": ARN})

    def value(self, params, username, password="pw"):
        self.sm_stub.add_response("get_secret_value", {
            "ARN": ARN, "SecretString": json.dumps({"username": username, "password": password})}, params)

    def no_pending_yet(self):
        self.sm_stub.add_client_error("get_secret_value", "ResourceNotFoundException", "no AWSPENDING",
                                      expected_params={"SecretId": ARN, "VersionId": TOKEN,
                                                       "VersionStage": "AWSPENDING"})

    def list_keys(self, *keys):
        self.iam_stub.add_response("list_access_keys", {"AccessKeyMetadata": list(keys)}, {"UserName": USER})

    def new_key_stored(self):
        self.iam_stub.add_response("create_access_key", {"AccessKey": {
            "UserName": USER, "AccessKeyId": NEW_KEY, "Status": "Active", "SecretAccessKey": SECRET}},
            {"UserName": USER})
        self.sm_stub.add_response("put_secret_value", {"ARN": ARN, "VersionId": TOKEN}, {
            "SecretId": ARN, "ClientRequestToken": TOKEN, "SecretString": NEW_VALUE,
            "VersionStages": ["AWSPENDING"]})

    def deleted(self, key_id):
        self.iam_stub.add_response("delete_access_key", {}, {"UserName": USER, "AccessKeyId": key_id})

    # createSecret

    def test_create_makes_a_key_and_stores_its_smtp_password_as_pending(self):
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, IN_USE_KEY)
        self.list_keys(key(IN_USE_KEY, 2))
        self.new_key_stored()
        self.run_step("createSecret")

    def test_create_first_rotation_replaces_the_placeholder(self):
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, "pending-first-rotation", "generated")
        self.list_keys()
        self.new_key_stored()
        self.run_step("createSecret")

    def test_create_with_two_keys_deletes_the_one_not_in_use(self):
        # An earlier createSecret made a key but failed before storing it: the older key is the one in use.
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, IN_USE_KEY)
        self.list_keys(key(OLD_KEY, 5), key(IN_USE_KEY, 2))
        self.deleted(OLD_KEY)
        self.new_key_stored()
        self.run_step("createSecret")

    def test_create_with_two_keys_deletes_the_oldest_unused_one(self):
        # An earlier finishSecret switched versions but failed before deleting the previous key.
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, IN_USE_KEY)
        self.list_keys(key(IN_USE_KEY, 9), key(OLD_KEY, 1))
        self.deleted(OLD_KEY)
        self.new_key_stored()
        self.run_step("createSecret")

    def test_create_with_two_keys_none_in_use_deletes_the_oldest(self):
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, "pending-first-rotation")
        self.list_keys(key(IN_USE_KEY, 9), key(OLD_KEY, 1))
        self.deleted(OLD_KEY)
        self.new_key_stored()
        self.run_step("createSecret")

    def test_create_rerun_with_pending_present_changes_nothing(self):
        self.describe()
        self.value({"SecretId": ARN, "VersionId": TOKEN, "VersionStage": "AWSPENDING"}, NEW_KEY)
        self.run_step("createSecret")  # no IAM call and no put is queued

    def test_steps_on_a_version_that_is_already_current_change_nothing(self):
        for step in ("createSecret", "setSecret", "testSecret"):
            self.describe({TOKEN: ["AWSCURRENT", "AWSPENDING"]})
            self.run_step(step)

    # Guards every step applies

    def test_refuses_when_rotation_is_disabled(self):
        self.describe(enabled=False)
        with self.assertRaisesRegex(ValueError, "not enabled"):
            self.run_step("createSecret")

    def test_refuses_an_unknown_version(self):
        self.describe({CURRENT: ["AWSCURRENT"]})
        with self.assertRaisesRegex(ValueError, "not AWSPENDING"):
            self.run_step("createSecret")

    def test_refuses_a_version_that_is_neither_pending_nor_current(self):
        self.describe({CURRENT: ["AWSCURRENT"], TOKEN: ["AWSPREVIOUS"]})
        with self.assertRaisesRegex(ValueError, "not AWSPENDING"):
            self.run_step("finishSecret")

    def test_refuses_an_unknown_step(self):
        self.describe()
        with self.assertRaisesRegex(ValueError, "Unknown step"):
            self.run_step("rollbackSecret")

    # setSecret and testSecret

    def test_set_checks_the_pending_value(self):
        self.describe()
        self.value({"SecretId": ARN, "VersionId": TOKEN, "VersionStage": "AWSPENDING"}, NEW_KEY)
        self.run_step("setSecret")

    def test_set_refuses_a_pending_value_without_password(self):
        self.describe()
        self.sm_stub.add_response("get_secret_value", {"SecretString": json.dumps({"username": NEW_KEY})})
        with self.assertRaisesRegex(ValueError, "username or password"):
            self.run_step("setSecret")

    def test_test_accepts_an_active_key_of_the_user(self):
        self.describe()
        self.value({"SecretId": ARN, "VersionId": TOKEN, "VersionStage": "AWSPENDING"}, NEW_KEY)
        self.list_keys(key(IN_USE_KEY, 1), key(NEW_KEY, 2))
        self.run_step("testSecret")

    def test_test_refuses_a_missing_or_inactive_key(self):
        for keys in ([key(IN_USE_KEY, 1)], [key(IN_USE_KEY, 1), key(NEW_KEY, 2, "Inactive")]):
            self.describe()
            self.value({"SecretId": ARN, "VersionId": TOKEN, "VersionStage": "AWSPENDING"}, NEW_KEY)
            self.list_keys(*keys)
            with self.assertRaisesRegex(ValueError, "not an active key"):
                self.run_step("testSecret")

    # finishSecret

    def test_finish_makes_the_pending_version_current_and_deletes_the_other_keys(self):
        self.describe()
        self.sm_stub.add_response("update_secret_version_stage", {"ARN": ARN}, {
            "SecretId": ARN, "VersionStage": "AWSCURRENT", "MoveToVersionId": TOKEN,
            "RemoveFromVersionId": CURRENT})
        self.value({"SecretId": ARN, "VersionId": TOKEN}, NEW_KEY)
        self.list_keys(key(IN_USE_KEY, 1), key(NEW_KEY, 2))
        self.deleted(IN_USE_KEY)
        self.run_step("finishSecret")

    def test_finish_rerun_after_the_switch_only_deletes_leftover_keys(self):
        self.describe({CURRENT: ["AWSPREVIOUS"], TOKEN: ["AWSCURRENT", "AWSPENDING"]})
        self.value({"SecretId": ARN, "VersionId": TOKEN}, NEW_KEY)
        self.list_keys(key(IN_USE_KEY, 1), key(NEW_KEY, 2))
        self.deleted(IN_USE_KEY)
        self.run_step("finishSecret")

    def test_finish_rerun_with_nothing_left_to_do_changes_nothing(self):
        self.describe({CURRENT: ["AWSPREVIOUS"], TOKEN: ["AWSCURRENT"]})
        self.value({"SecretId": ARN, "VersionId": TOKEN}, NEW_KEY)
        self.list_keys(key(NEW_KEY, 2))
        self.run_step("finishSecret")

    def test_errors_propagate_so_secrets_manager_retries(self):
        self.describe()
        self.no_pending_yet()
        self.value({"SecretId": ARN, "VersionStage": "AWSCURRENT"}, IN_USE_KEY)
        self.list_keys(key(IN_USE_KEY, 2))
        self.iam_stub.add_client_error("create_access_key", "LimitExceeded", "two keys")
        with self.assertRaises(self.iam.exceptions.LimitExceededException):
            self.run_step("createSecret")


if __name__ == "__main__":
    unittest.main()
