"""Custom resource: removes every rule from the VPC's default security group.

Nothing in the stack uses the default group; emptying it means a resource that ends up in it by mistake can
neither receive nor send traffic. Create and Update revoke whatever rules the group has; Delete leaves the
group alone (the VPC is going away). The function always answers CloudFormation.
"""

import boto3
import cfnresponse

ec2 = boto3.client("ec2")


def revoke_all(group_id):
    """Revokes the group's ingress and egress rules; returns how many rule sets were revoked."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    revoked = 0
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
        revoked += 1
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
        revoked += 1
    return revoked


def handler(event, context):
    group_id = event.get("ResourceProperties", {}).get("DefaultSecurityGroupId", "")
    physical_id = event.get("PhysicalResourceId") or "restrict-" + group_id
    try:
        if event["RequestType"] in ("Create", "Update"):
            revoke_all(group_id)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical_id)
    except Exception as error:  # Any failure must still answer, or the stack waits for an hour.
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id, reason=str(error)[:500])
