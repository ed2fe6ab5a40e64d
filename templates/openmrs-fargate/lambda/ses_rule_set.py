"""Custom resource: makes the stack's SES receipt rule set the active one.

Create/Update activate RuleSetName. Delete deactivates it only while it is still the active rule set, so
deleting this stack never switches off a rule set someone activated since. Every request is answered.
"""
import boto3
import cfnresponse


def apply(request_type, rule_set, ses):
    if request_type in ("Create", "Update"):
        if not rule_set:
            raise ValueError("RuleSetName is required")
        ses.set_active_receipt_rule_set(RuleSetName=rule_set)
    elif request_type == "Delete" and rule_set:
        active = ses.describe_active_receipt_rule_set().get("Metadata", {}).get("Name")
        if active == rule_set:
            ses.set_active_receipt_rule_set()


def handler(event, context, ses=None):
    rule_set = event.get("ResourceProperties", {}).get("RuleSetName")
    physical_id = rule_set or event.get("PhysicalResourceId") or "ses-active-rule-set"
    try:
        apply(event["RequestType"], rule_set, ses or boto3.client("ses"))
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physicalResourceId=physical_id)
    except Exception as error:  # answer CloudFormation whatever happened
        print("Rule set activation failed: %r" % error)
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physicalResourceId=physical_id,
                         reason="Rule set activation failed: %s" % error)
