"""Starts the Fargate task that copies the OpenMRS data file system to the EFS export bucket.

Returns the task ARN at once; poll it with ecs:DescribeTasks. The copy is `aws s3 sync`, so re-running only
uploads what changed.
"""
import os

import boto3


def run_export(ecs, environ=os.environ):
    response = ecs.run_task(
        cluster=environ["CLUSTER"],
        taskDefinition=environ["TASK_DEFINITION"],
        launchType="FARGATE",
        count=1,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [s for s in environ["SUBNETS"].split(",") if s],
                "securityGroups": [environ["SECURITY_GROUP"]],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    if response.get("failures") or not response.get("tasks"):
        raise RuntimeError("ECS did not start the export task: %s" % response.get("failures"))
    return response["tasks"][0]["taskArn"]


def handler(event, context, ecs=None):
    return {"taskArn": run_export(ecs or boto3.client("ecs"))}
