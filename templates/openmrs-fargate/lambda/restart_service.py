"""Rolls the OpenMRS service after a secret its tasks read was rotated.

EventBridge invokes this with Secrets Manager's RotationSucceeded event (delivered via CloudTrail) for the secrets
the rule names. ECS resolves secrets only when a task starts, so running tasks keep the old credentials: a new
deployment of the same task definition replaces them (minimum healthy 100%: OpenMRS stays up meanwhile).
"""
import os

import boto3


def handler(event, context, ecs=None):
    detail = event.get("detail") or {}
    if detail.get("eventName") != "RotationSucceeded":
        print("Ignored event %s" % detail.get("eventName"))
        return {"restarted": False}
    secret = (detail.get("additionalEventData") or {}).get("SecretId", "(unknown)")
    ecs = ecs or boto3.client("ecs")
    service = ecs.update_service(cluster=os.environ["CLUSTER"], service=os.environ["SERVICE"],
                                 forceNewDeployment=True)["service"]
    deployment = next((d["id"] for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    print("Secret %s rotated: deployment %s rolls %s" % (secret, deployment, service.get("serviceName")))
    return {"restarted": True, "deployment": deployment}
