import email
import email.policy
import io
import os
import unittest
from unittest import mock

import boto3
from botocore.response import StreamingBody
from botocore.stub import Stubber

import integrations_support  # noqa: F401  (puts the Lambda folder on sys.path)
import email_forward

SENDER = "help@clinic.example.org"
RAW = (
    b"Return-Path: <jane@patient.example>\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=patient.example; s=s1; b=abc\r\n"
    b"From: Jane Doe <jane@patient.example>\r\n"
    b"Sender: jane@patient.example\r\n"
    b"To: help@clinic.example.org\r\n"
    b"Subject: Appointment\r\n"
    b"Message-ID: <1@patient.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"From the patient: please call me.\r\n"
)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class RewriteHeadersTest(unittest.TestCase):
    def test_from_becomes_sender_and_reply_to_the_original(self):
        out = parse(email_forward.rewrite_headers(RAW, SENDER))
        self.assertEqual(out["From"].addresses[0].addr_spec, SENDER)
        self.assertEqual(out["From"].addresses[0].display_name,
                         "Jane Doe (jane@patient.example) via help@clinic.example.org")
        self.assertEqual(out["Reply-To"].addresses[0].addr_spec, "jane@patient.example")
        self.assertEqual(len(out.get_all("From")), 1)

    def test_headers_that_break_resending_are_removed(self):
        out = parse(email_forward.rewrite_headers(RAW, SENDER))
        for header in ("Return-Path", "Sender", "Message-ID", "DKIM-Signature"):
            self.assertIsNone(out[header], header)

    def test_other_headers_and_body_are_kept(self):
        raw = email_forward.rewrite_headers(RAW, SENDER)
        out = parse(raw)
        self.assertEqual(out["Subject"], "Appointment")
        self.assertEqual(out["To"], "help@clinic.example.org")
        self.assertIn(b"\r\nContent-Type: text/plain; charset=utf-8\r\n", raw)
        # The body is byte-for-byte the original: no ">From" mangling, CRLF line ends kept.
        self.assertTrue(raw.endswith(b"\r\n\r\nFrom the patient: please call me.\r\n"), raw)

    def test_existing_reply_to_is_kept(self):
        raw = RAW.replace(b"Subject:", b"Reply-To: office@patient.example\r\nSubject:")
        out = parse(email_forward.rewrite_headers(raw, SENDER))
        self.assertEqual([a.addr_spec for a in out["Reply-To"].addresses], ["office@patient.example"])

    def test_bare_address_and_non_ascii_name(self):
        bare = parse(email_forward.rewrite_headers(RAW.replace(b"Jane Doe <jane@patient.example>",
                                                               b"jane@patient.example"), SENDER))
        self.assertEqual(bare["From"].addresses[0].display_name,
                         "jane@patient.example via help@clinic.example.org")
        encoded = RAW.replace(b"Jane Doe", b"=?utf-8?q?Jos=C3=A9?=")
        out = parse(email_forward.rewrite_headers(encoded, SENDER))
        self.assertEqual(out["From"].addresses[0].display_name,
                         "Jos\u00e9 (jane@patient.example) via help@clinic.example.org")
        self.assertEqual(out["From"].addresses[0].addr_spec, SENDER)

    def test_long_non_ascii_name_survives(self):
        raw = RAW.replace(b"Jane Doe", b"=?utf-8?q?Jos=C3=A9_Mar=C3=ADa_de_la_Cruz_Fern=C3=A1ndez_y_Ram=C3=ADrez?=")
        out = parse(email_forward.rewrite_headers(raw, SENDER))
        self.assertEqual(out["From"].addresses[0].display_name,
                         "Jos\u00e9 Mar\u00eda de la Cruz Fern\u00e1ndez y Ram\u00edrez (jane@patient.example)"
                         " via help@clinic.example.org")

    def test_missing_from(self):
        raw = RAW.replace(b"From: Jane Doe <jane@patient.example>\r\n", b"")
        out = parse(email_forward.rewrite_headers(raw, SENDER))
        self.assertEqual(out["From"].addresses[0].addr_spec, SENDER)
        self.assertIsNone(out["Reply-To"])


class HandlerTest(unittest.TestCase):
    ENV = {"BUCKET": "mail-bucket", "PREFIX": "help/", "SENDER": SENDER, "FORWARD_TO": "records@clinic.example.org"}

    def test_fetches_stored_message_and_resends_it(self):
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        ses = boto3.client("ses", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        s3_stub, ses_stub = Stubber(s3), Stubber(ses)
        s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(RAW), len(RAW))},
                             {"Bucket": "mail-bucket", "Key": "help/abc123"})
        ses_stub.add_response("send_raw_email", {"MessageId": "out-1"}, {
            "Source": SENDER,
            "Destinations": ["records@clinic.example.org"],
            "RawMessage": {"Data": email_forward.rewrite_headers(RAW, SENDER)},
        })
        event = {"Records": [{"ses": {"mail": {"messageId": "abc123"}}}]}
        with mock.patch.dict(os.environ, self.ENV), s3_stub, ses_stub:
            result = email_forward.handler(event, None, s3=s3, ses=ses)
        s3_stub.assert_no_pending_responses()
        ses_stub.assert_no_pending_responses()
        self.assertEqual(result, {"forwarded": ["out-1"]})


if __name__ == "__main__":
    unittest.main()
