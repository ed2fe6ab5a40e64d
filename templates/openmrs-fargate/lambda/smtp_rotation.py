"""Rotates the SES SMTP credentials (JSON username, password) of IAM user SMTP_USER: createSecret makes a key and
stores its SMTP password as AWSPENDING, finishSecret makes it AWSCURRENT and deletes the user's other keys."""
import base64
import hashlib
import hmac
import json
import os

import boto3


def _sign(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key, region):
    """AWS's documented SES SMTP password derivation."""
    signature = _sign(("AWS4" + secret_access_key).encode("utf-8"), "11111111")
    for part in (region, "ses", "aws4_request", "SendRawEmail"):
        signature = _sign(signature, part)
    return base64.b64encode(bytes([0x04]) + signature).decode("utf-8")


def _value(sm, arn, **version):
    value = json.loads(sm.get_secret_value(SecretId=arn, **version)["SecretString"])
    if not (value.get("username") and value.get("password")):
        raise ValueError("No username or password")
    return value


def _keys(iam, user):
    return sorted(iam.list_access_keys(UserName=user)["AccessKeyMetadata"], key=lambda k: k["CreateDate"])


def _delete(iam, user, key_id):
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    print("Deleted access key %s" % key_id)


def create(sm, iam, arn, token, user):
    try:
        sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        print("AWSPENDING %s exists" % token)
        return
    except sm.exceptions.ResourceNotFoundException:
        pass
    in_use = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    keys = _keys(iam, user)
    if len(keys) > 1:  # IAM allows two keys: delete the oldest one not in use
        unused = [k for k in keys if k["AccessKeyId"] != in_use.get("username")] or keys
        _delete(iam, user, unused[0]["AccessKeyId"])
    key = iam.create_access_key(UserName=user)["AccessKey"]
    value = {"username": key["AccessKeyId"], "password": smtp_password(key["SecretAccessKey"], sm.meta.region_name)}
    sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(value),
                        VersionStages=["AWSPENDING"])
    print("Access key %s is AWSPENDING %s" % (key["AccessKeyId"], token))


def handler(event, context, sm=None, iam=None):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    sm = sm or boto3.client("secretsmanager")
    iam = iam or boto3.client("iam")
    user = os.environ["SMTP_USER"]
    metadata = sm.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError("Rotation is not enabled")
    versions = metadata.get("VersionIdsToStages", {})
    stages = versions.get(token, [])
    if "AWSCURRENT" not in stages and "AWSPENDING" not in stages:
        raise ValueError("%s is not AWSPENDING" % token)
    if step == "finishSecret":
        current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
        if current != token:
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current)
            print("%s is AWSCURRENT" % token)
        key_id = _value(sm, arn, VersionId=token)["username"]
        for key in _keys(iam, user):
            if key["AccessKeyId"] != key_id:
                _delete(iam, user, key["AccessKeyId"])
    elif "AWSCURRENT" in stages:
        print("%s is already AWSCURRENT" % token)
    elif step == "createSecret":
        create(sm, iam, arn, token, user)
    elif step in ("setSecret", "testSecret"):
        key_id = _value(sm, arn, VersionId=token, VersionStage="AWSPENDING")["username"]
        if step == "testSecret" and not any(
                k["AccessKeyId"] == key_id and k["Status"] == "Active" for k in _keys(iam, user)):
            raise ValueError("%s is not an active key of %s" % (key_id, user))
    else:
        raise ValueError("Unknown step %s" % step)
