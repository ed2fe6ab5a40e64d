"""Run one ECS task definition on Fargate and, if WAIT is set, wait for it and fail on a non-zero exit.

Configured by CLUSTER, TASK_DEFINITION, SUBNETS and SECURITY_GROUPS (comma-separated) and WAIT.
Invoked by CloudFormation (custom resource: Create and Update run the task, Delete does nothing; the
answer is always sent) or by EventBridge and direct calls (raises on failure, so the DLQ sees it).
"""
import os
import time

import boto3
import cfnresponse

ecs = boto3.client("ecs")
POLL = 10  # seconds between DescribeTasks calls
MARGIN = 30  # seconds kept to answer CloudFormation before Lambda's deadline


def run(context):
    """Start the task; with WAIT, wait until it stops. Returns a summary; raises on any failure."""
    env = os.environ
    cluster = env["CLUSTER"]
    started = ecs.run_task(
        cluster=cluster,
        taskDefinition=env["TASK_DEFINITION"],
        launchType="FARGATE",
        count=1,
        startedBy="omrs-run-task",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": env["SUBNETS"].split(","),
                "securityGroups": env["SECURITY_GROUPS"].split(","),
                "assignPublicIp": "DISABLED",
            }
        },
    )
    if started.get("failures") or not started.get("tasks"):
        raise RuntimeError(f"RunTask started no task: {started.get('failures')}")
    arn = started["tasks"][0]["taskArn"]
    if env.get("WAIT", "").lower() not in ("1", "true", "yes"):
        return {"TaskArn": arn, "Status": "STARTED"}
    print(f"Waiting for {arn}")
    status = "PROVISIONING"
    while True:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        if tasks:
            task = tasks[0]
            status = task["lastStatus"]
            if status == "STOPPED":
                break
        if context.get_remaining_time_in_millis() < (MARGIN + POLL) * 1000:
            raise RuntimeError(
                f"Task {arn} was still {status} when this function had to stop waiting; "
                "it may still finish: check the task's logs"
            )
        time.sleep(POLL)
    bad = [
        f"container {c['name']} exit code {c.get('exitCode')} {c.get('reason', '')}".rstrip()
        for c in task["containers"]
        if c.get("exitCode") != 0
    ]
    if bad:
        raise RuntimeError(f"Task {arn} failed ({task.get('stoppedReason', 'no reason')}): {'; '.join(bad)}")
    return {"TaskArn": arn, "Status": "SUCCEEDED"}


def handler(event, context):
    if "RequestType" not in event:
        result = run(context)
        print(result)
        return result
    physical_id = event.get("PhysicalResourceId") or event["LogicalResourceId"]
    try:
        data = {} if event["RequestType"] == "Delete" else run(context)
        print(event["RequestType"], data)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physical_id)
    except Exception as error:  # every failure must still answer CloudFormation
        print(f"FAILED: {error!r}")
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id, reason=str(error)[:900])
