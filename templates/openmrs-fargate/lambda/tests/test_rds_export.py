import re
import unittest
from datetime import datetime, timedelta, timezone

import boto3
from botocore.stub import Stubber

import integrations_support  # noqa: F401  (puts the Lambda folder on sys.path)
import rds_export

NOW = datetime(2026, 5, 9, 7, 30, 15, 123456, tzinfo=timezone.utc)
# RDS: 1-60 letters, digits or hyphens; first a letter; no trailing hyphen, no two consecutive hyphens.
VALID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,59}(?<!-)$")


class ExportIdentifierTest(unittest.TestCase):
    def test_prefix_and_utc_timestamp(self):
        self.assertEqual(rds_export.export_identifier("openmrs-prod", NOW), "openmrs-prod-20260509-073015-123456")

    def test_other_time_zones_are_converted_to_utc(self):
        local = NOW.astimezone(timezone(timedelta(hours=-5)))
        self.assertEqual(rds_export.export_identifier("openmrs-prod", local), "openmrs-prod-20260509-073015-123456")

    def test_unique_per_call(self):
        later = NOW + timedelta(microseconds=1)
        self.assertNotEqual(rds_export.export_identifier("p", NOW), rds_export.export_identifier("p", later))

    def test_always_valid(self):
        prefixes = ["openmrs-prod", "A" * 128, "9lives", "--x--", "Stack_With.Odd Chars", "", "a-" * 40, "-"]
        for prefix in prefixes:
            identifier = rds_export.export_identifier(prefix, NOW)
            self.assertLessEqual(len(identifier), 60, prefix)
            self.assertRegex(identifier, VALID, prefix)
            self.assertTrue(identifier.endswith("20260509-073015-123456"), prefix)

    def test_long_prefix_is_truncated_not_the_timestamp(self):
        identifier = rds_export.export_identifier("openmrs-" + "x" * 100, NOW)
        self.assertEqual(len(identifier), 60)
        self.assertTrue(identifier.startswith("openmrs-xxx"))

    def test_prefix_starting_with_digit_gets_a_letter(self):
        self.assertEqual(rds_export.export_identifier("9lives", NOW), "export-9lives-20260509-073015-123456")


class StartExportTest(unittest.TestCase):
    ENV = {
        "PREFIX": "openmrs-prod",
        "SOURCE_ARN": "arn:aws:rds:us-east-1:123456789012:cluster:openmrs",
        "BUCKET": "rds-export-bucket",
        "EXPORT_ROLE_ARN": "arn:aws:iam::123456789012:role/export",
        "KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }

    def test_starts_export_with_fresh_identifier(self):
        rds = boto3.client("rds", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        stubber = Stubber(rds)
        stubber.add_response("start_export_task", {
            "ExportTaskIdentifier": "openmrs-prod-20260509-073015-123456",
            "Status": "STARTING",
            "TaskStartTime": NOW,
        }, {
            "ExportTaskIdentifier": "openmrs-prod-20260509-073015-123456",
            "SourceArn": self.ENV["SOURCE_ARN"],
            "S3BucketName": "rds-export-bucket",
            "IamRoleArn": self.ENV["EXPORT_ROLE_ARN"],
            "KmsKeyId": self.ENV["KMS_KEY_ARN"],
        })
        with stubber:
            result = rds_export.start_export(rds, NOW, self.ENV)
        stubber.assert_no_pending_responses()
        self.assertEqual(result["ExportTaskIdentifier"], "openmrs-prod-20260509-073015-123456")
        self.assertEqual(result["Status"], "STARTING")
        self.assertIsInstance(result["TaskStartTime"], str)  # JSON-serialisable for the Lambda response
        self.assertNotIn("ResponseMetadata", result)


if __name__ == "__main__":
    unittest.main()
