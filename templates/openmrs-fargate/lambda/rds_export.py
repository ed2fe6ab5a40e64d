"""Starts an RDS export of the Aurora cluster to the RDS export bucket (Apache Parquet, KMS-encrypted).

Every call uses a new export identifier (prefix + UTC timestamp): RDS refuses to reuse one. Poll the
returned identifier with rds:DescribeExportTasks.
"""
import json
import os
import re
from datetime import datetime, timezone

import boto3

MAX_LENGTH = 60


def export_identifier(prefix, now):
    """A valid, per-call unique ExportTaskIdentifier: at most 60 letters, digits and hyphens, starting with a
    letter, no trailing or doubled hyphen."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    base = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")
    if not base[:1].isalpha():
        base = ("export-" + base).strip("-")
    base = base[: MAX_LENGTH - len(stamp) - 1].rstrip("-")
    return "%s-%s" % (base, stamp)


def start_export(rds, now, environ=os.environ):
    response = rds.start_export_task(
        ExportTaskIdentifier=export_identifier(environ["PREFIX"], now),
        SourceArn=environ["SOURCE_ARN"],
        S3BucketName=environ["BUCKET"],
        IamRoleArn=environ["EXPORT_ROLE_ARN"],
        KmsKeyId=environ["KMS_KEY_ARN"],
    )
    response.pop("ResponseMetadata", None)
    return json.loads(json.dumps(response, default=str))


def handler(event, context, rds=None):
    return start_export(rds or boto3.client("rds"), datetime.now(timezone.utc))
