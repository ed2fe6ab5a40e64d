"""Custom resource: turns the SMTP IAM user's secret access key into an SES SMTP password.

Create/Update read the secret key from AccessKeySecretArn and write {"username", "password"} into
CredentialsSecretArn. Delete changes nothing. Every request is answered, also on errors.
"""
import base64
import hashlib
import hmac
import json

import boto3
import cfnresponse

# AWS's documented derivation of an SES SMTP password from an IAM secret access key.
DATE = "11111111"
SERVICE = "ses"
TERMINAL = "aws4_request"
MESSAGE = "SendRawEmail"
VERSION = 0x04


def _sign(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key, region):
    signature = _sign(("AWS4" + secret_access_key).encode("utf-8"), DATE)
    for part in (region, SERVICE, TERMINAL, MESSAGE):
        signature = _sign(signature, part)
    return base64.b64encode(bytes([VERSION]) + signature).decode("utf-8")


def handler(event, context, secrets=None):
    props = event.get("ResourceProperties", {})
    physical_id = props.get("CredentialsSecretArn") or event.get("PhysicalResourceId") or "smtp-credentials"
    try:
        if event["RequestType"] in ("Create", "Update"):
            secrets = secrets or boto3.client("secretsmanager")
            secret_key = secrets.get_secret_value(SecretId=props["AccessKeySecretArn"])["SecretString"]
            credentials = {
                "username": props["AccessKeyId"],
                "password": smtp_password(secret_key, props["Region"]),
            }
            secrets.put_secret_value(SecretId=props["CredentialsSecretArn"], SecretString=json.dumps(credentials))
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physicalResourceId=physical_id)
    except Exception as error:  # answer CloudFormation whatever happened
        print("SMTP credential setup failed: %s" % type(error).__name__)
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physicalResourceId=physical_id,
                         reason="SMTP credential setup failed: %s" % error)
