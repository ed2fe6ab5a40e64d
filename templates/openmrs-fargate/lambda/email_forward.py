"""SES receipt-rule action: forwards mail stored for help@<domain> to FORWARD_TO.

SES stores the message in BUCKET under PREFIX + messageId before invoking this function. The copy is re-sent
from SENDER (a verified address) with the original sender moved to Reply-To, because SES only sends from
verified identities and the original DKIM signature would no longer match.
"""
import email
import email.policy
import email.utils
from email.headerregistry import Address
import os

import boto3

# No folding below the RFC 5322 line limit: Python mis-folds long encoded-word display names.
POLICY = email.policy.SMTP.clone(max_line_length=998)
REMOVED_HEADERS = ("Return-Path", "Sender", "Message-ID", "DKIM-Signature", "From")


def rewrite_headers(raw, sender):
    """Return `raw` (bytes) with From set to `sender`, showing the original sender in the display name,
    Reply-To kept or set to the original From, and headers that would break re-sending removed."""
    message = email.message_from_bytes(raw, policy=POLICY)
    original = str(message.get("From", "")).strip()
    name, address = email.utils.parseaddr(original)
    if name and address:
        shown = "%s (%s) via %s" % (name, address, sender)
    else:
        shown = "%s via %s" % (address or "unknown sender", sender)
    if message.get("Reply-To") is None and original:
        message["Reply-To"] = original
    for header in REMOVED_HEADERS:
        del message[header]
    message["From"] = Address(display_name=shown, addr_spec=sender)
    return message.as_bytes(policy=POLICY)


def handler(event, context, s3=None, ses=None):
    s3 = s3 or boto3.client("s3")
    ses = ses or boto3.client("ses")
    bucket = os.environ["BUCKET"]
    prefix = os.environ.get("PREFIX", "")
    sender = os.environ["SENDER"]
    forward_to = os.environ["FORWARD_TO"]
    sent = []
    for record in event.get("Records", []):
        message_id = record["ses"]["mail"]["messageId"]
        raw = s3.get_object(Bucket=bucket, Key=prefix + message_id)["Body"].read()
        response = ses.send_raw_email(
            Source=sender,
            Destinations=[forward_to],
            RawMessage={"Data": rewrite_headers(raw, sender)},
        )
        print("Forwarded %s as %s" % (message_id, response["MessageId"]))
        sent.append(response["MessageId"])
    return {"forwarded": sent}
