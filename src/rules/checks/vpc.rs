//! Checks for VPC networking: security-group ingress open to the internet (on any port, or on common or SSH
//! ports), security-group descriptions, the VPC's default security group, VPC flow logs, routes from anywhere
//! to a gateway, subnets that hand out public addresses, and network ACLs (flagged wherever they exist).

use std::borrow::Cow;

use serde_json::Value;

use crate::rules::value::{
    for_of, get, js_number, loose_eq, primitive, read, reference, strict_eq, verdict, Kind,
};
use crate::rules::{Check, Compat, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const INGRESS: &[&str] = &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"];
const SECURITY_GROUP: &[&str] = &["AWS::EC2::SecurityGroup"];
const NETWORK_ACLS: &[&str] = &["AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry"];
const VPC: &[&str] = &["AWS::EC2::VPC"];

/// TCP ports EC2RestrictedCommonPorts keeps closed to the internet (3309 included, as cdk-nag has it).
const COMMON_PORTS: [f64; 6] = [20.0, 21.0, 3389.0, 3309.0, 3306.0, 4333.0];

/// The construct ID under which the CDK L2 `Vpc` creates the custom resource that empties the default group.
const RESTRICT_DEFAULT_SG_ID: &str = "RestrictDefaultSecurityGroupCustomResource";
const RESTRICT_DEFAULT_SG_TYPE: &str = "Custom::VpcRestrictDefaultSG";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "EC2RestrictedCommonPorts",
        resource_types: INGRESS,
        problem: "An ingress rule opens a commonly attacked TCP port (20, 21, 3306, 3309, 3389 or 4333) to every IPv4 address, or allows all protocols",
        fix: "Narrow `CidrIp` to the networks that need the port, or reference a source security group, and replace `IpProtocol: -1` with the protocols and ports actually used",
        eval: restricted_common_ports,
    },
    Check {
        name: "EC2RestrictedSSH",
        resource_types: INGRESS,
        problem: "An ingress rule lets any address on the internet reach port 22 (SSH)",
        fix: "Restrict `CidrIp`/`CidrIpv6` for port 22 to known networks, or use Session Manager instead of SSH",
        eval: restricted_ssh,
    },
    Check {
        name: "VPCDefaultSecurityGroupClosed",
        resource_types: VPC,
        problem: "The VPC's default security group keeps its default rules, so resources placed in it can talk to each other and to the internet",
        fix: "Create the VPC with the CDK `Vpc` construct and `restrictDefaultSecurityGroup: true`, or remove every rule from the default security group",
        eval: default_security_group_closed,
    },
    Check {
        name: "VPCFlowLogsEnabled",
        resource_types: VPC,
        problem: "The VPC has no flow log, so its network traffic is not recorded",
        fix: "Add an `AWS::EC2::FlowLog` with `ResourceType: VPC` and `ResourceId: !Ref <the VPC>` in the same template",
        eval: flow_logs_enabled,
    },
    Check {
        name: "VPCNoUnrestrictedRouteToIGW",
        resource_types: &["AWS::EC2::Route"],
        problem: "The route sends traffic for every destination to a gateway",
        fix: "Use a narrower `DestinationCidrBlock`/`DestinationIpv6CidrBlock` than `0.0.0.0/0` or `::/0` for routes with a `GatewayId`",
        eval: no_unrestricted_route_to_gateway,
    },
    Check {
        name: "VPCSubnetAutoAssignPublicIpDisabled",
        resource_types: &["AWS::EC2::Subnet"],
        problem: "Instances launched in the subnet get a public IPv4 or IPv6 address automatically",
        fix: "Set `MapPublicIpOnLaunch: false` and `AssignIpv6AddressOnCreation: false`",
        eval: subnet_auto_assign_public_ip_disabled,
    },
    Check {
        name: "EC2RestrictedInbound",
        resource_types: INGRESS,
        problem: "An ingress rule accepts traffic from every IPv4 or IPv6 address (`/0`), whatever the port",
        fix: "Narrow `CidrIp`/`CidrIpv6` to the networks that need access, or use `SourceSecurityGroupId` instead",
        eval: restricted_inbound,
    },
    Check {
        name: "EC2SecurityGroupDescription",
        resource_types: SECURITY_GROUP,
        problem: "The security group has no meaningful description, so reviewers cannot tell what it is for",
        fix: "Set `GroupDescription` to a sentence saying what the group protects and who may reach it",
        eval: security_group_description,
    },
    Check {
        name: "VPCNoNACLs",
        resource_types: NETWORK_ACLS,
        problem: "The template manages network ACLs, which are stateless and easy to get wrong next to security groups",
        fix: "Remove the `AWS::EC2::NetworkAcl`/`AWS::EC2::NetworkAclEntry` resources and control traffic with security groups, or suppress the warning with the reason the ACL is needed",
        eval: no_network_acls,
    },
];

/// The ingress rules a check examines: every `SecurityGroupIngress` entry of a security group (none when it is
/// absent), or the standalone ingress resource itself. cdk-nag iterates the list with `for...of`, so an
/// intrinsic in its place throws; a string iterates as characters, none of which has a rule's properties.
fn ingress_rules(resource: &Resource) -> Result<Vec<Cow<'_, Value>>, Thrown> {
    if resource.resource_type == "AWS::EC2::SecurityGroupIngress" {
        return Ok(vec![Cow::Borrowed(&resource.properties)]);
    }
    match get(&resource.properties, "SecurityGroupIngress") {
        None => Ok(Vec::new()),
        rules => for_of(rules, "SecurityGroupIngress"),
    }
}

/// JavaScript's `cidr.includes('/0')` on a coerced (string) CIDR; absent is false.
fn open_to_all(cidr: Option<&Value>) -> bool {
    matches!(cidr, Some(Value::String(text)) if text.contains("/0"))
}

/// cdk-nag's port test: with both ports given, the range covers `port` or either end is `-1`; otherwise
/// `FromPort == port`. Comparisons are JavaScript's (`"22" <= 22` holds, a non-number never does).
fn covers_port(from: Option<&Value>, to: Option<&Value>, port: f64) -> bool {
    let minus_one = Value::from(-1);
    match (from, to) {
        (Some(from), Some(to)) => {
            let in_range = js_number(from).is_some_and(|f| f <= port)
                && js_number(to).is_some_and(|t| t >= port);
            in_range || loose_eq(Some(from), &minus_one) || loose_eq(Some(to), &minus_one)
        }
        _ => loose_eq(from, &Value::from(port as i64)),
    }
}

fn restricted_common_ports(resource: &Resource, context: &Context<'_>) -> Verdict {
    for rule in &ingress_rules(resource)? {
        // cdk-nag resolves these four (and only these) before testing any port: an intrinsic in any throws.
        let protocol = primitive(rule, "IpProtocol", Kind::String, context)?;
        let cidr = primitive(rule, "CidrIp", Kind::String, context)?;
        let from = primitive(rule, "FromPort", Kind::Number, context)?;
        let to = primitive(rule, "ToPort", Kind::Number, context)?;
        let protocol = protocol.as_ref();
        let tcp_from_anywhere =
            strict_eq(protocol, &Value::from("tcp")) && open_to_all(cidr.as_ref());
        let common_port_open = tcp_from_anywhere
            && COMMON_PORTS
                .iter()
                .any(|port| covers_port(from.as_ref(), to.as_ref(), *port));
        // All protocols fail whatever the source, a private CIDR or a security group included.
        if common_port_open || strict_eq(protocol, &Value::from("-1")) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn restricted_ssh(resource: &Resource, context: &Context<'_>) -> Verdict {
    for rule in &ingress_rules(resource)? {
        let protocol = primitive(rule, "IpProtocol", Kind::String, context)?;
        let cidr = primitive(rule, "CidrIp", Kind::String, context)?;
        let cidr_v6 = primitive(rule, "CidrIpv6", Kind::String, context)?;
        let from = primitive(rule, "FromPort", Kind::Number, context)?;
        let to = primitive(rule, "ToPort", Kind::Number, context)?;
        if !open_to_all(cidr.as_ref()) && !open_to_all(cidr_v6.as_ref()) {
            continue;
        }
        // The protocol is not otherwise looked at: a UDP range covering 22 fails too.
        let all_protocols = loose_eq(protocol.as_ref(), &Value::from("-1"));
        if all_protocols || covers_port(from.as_ref(), to.as_ref(), 22.0) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn restricted_inbound(resource: &Resource, context: &Context<'_>) -> Verdict {
    for rule in &ingress_rules(resource)? {
        // `rule.cidrIp` on a null entry throws in cdk-nag.
        if rule.is_null() {
            return Err(Thrown("a `SecurityGroupIngress` entry is null".to_owned()));
        }
        // Both are resolved before either is tested, so an intrinsic in either throws.
        let cidr = primitive(rule, "CidrIp", Kind::String, context)?;
        let cidr_v6 = primitive(rule, "CidrIpv6", Kind::String, context)?;
        // A substring test: ports, protocol and other sources are not looked at.
        if open_to_all(cidr.as_ref()) || open_to_all(cidr_v6.as_ref()) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn security_group_description(resource: &Resource, context: &Context<'_>) -> Verdict {
    let description = primitive(
        &resource.properties,
        "GroupDescription",
        Kind::String,
        context,
    )?;
    match description {
        // JavaScript's `length` counts UTF-16 code units.
        Some(Value::String(text)) => Ok(verdict(text.encode_utf16().count() >= 2)),
        // cdk-nag reads `.length` of the resolved value: `undefined.length` throws.
        None => Err(Thrown(
            "`GroupDescription` is absent, and cdk-nag reads its length unconditionally".to_owned(),
        )),
        // A coerced scalar is always a string; anything else has no length to compare.
        Some(_) => Ok(Outcome::Compliant),
    }
}

fn no_network_acls(_: &Resource, _: &Context<'_>) -> Verdict {
    // The existence of the ACL or entry is the finding.
    Ok(Outcome::NonCompliant)
}

fn cdk_path(resource: &Resource) -> Option<&str> {
    resource
        .metadata
        .get("aws:cdk:path")
        .and_then(Value::as_str)
}

/// cdk-nag's test: the VPC's parent construct has a child `RestrictDefaultSecurityGroupCustomResource` whose
/// default child (`Default` or `Resource`) is a `Custom::VpcRestrictDefaultSG`. On a template the construct tree
/// is known only through `aws:cdk:path` metadata; without it there is no sibling and the VPC fails. Where CDK's
/// `defaultChild` or the property read would throw, the verdict is UNKNOWN.
fn restrict_sibling_present(resource: &Resource, context: &Context<'_>) -> Result<bool, Thrown> {
    let Some(path) = cdk_path(resource) else {
        return Ok(false);
    };
    let construct = match path.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/{RESTRICT_DEFAULT_SG_ID}"),
        None => RESTRICT_DEFAULT_SG_ID.to_owned(),
    };
    let prefix = format!("{construct}/");
    let members: Vec<(&str, &Resource)> = context
        .template
        .resources
        .iter()
        .filter_map(|other| cdk_path(other).map(|p| (p, other)))
        .filter(|(p, _)| *p == construct || p.starts_with(&prefix))
        .collect();
    if members.is_empty() {
        return Ok(false);
    }
    let thrown = |why: &str| {
        Err(Thrown(format!(
            "`{construct}` {why}, so cdk-nag's lookup throws"
        )))
    };
    if members.iter().any(|(p, _)| *p == construct) {
        return thrown("is itself a resource without a default child");
    }
    let child = |name: &str| {
        let exact = format!("{prefix}{name}");
        let nested = format!("{exact}/");
        let l1 = members.iter().find(|(p, _)| *p == exact).map(|(_, r)| *r);
        let construct_only = members.iter().any(|(p, _)| p.starts_with(&nested));
        (l1, l1.is_some() || construct_only)
    };
    let (default_l1, default_exists) = child("Default");
    let (resource_l1, resource_exists) = child("Resource");
    match (default_exists, resource_exists) {
        (true, true) => thrown("has both a `Default` and a `Resource` child"),
        (false, false) => thrown("has no default child"),
        // A default child that is not itself a resource has no CloudFormation type.
        _ => Ok(default_l1
            .or(resource_l1)
            .is_some_and(|child| child.resource_type == RESTRICT_DEFAULT_SG_TYPE)),
    }
}

/// The better verdict for plain templates (`Compat::Improved` only): a `Custom::VpcRestrictDefaultSG` whose
/// `DefaultSecurityGroupId` is this VPC's `DefaultSecurityGroup` attribute.
fn restricted_by_reference(resource: &Resource, context: &Context<'_>) -> bool {
    let wanted = format!("{}.DefaultSecurityGroup", resource.logical_id);
    context
        .resources_of_type(RESTRICT_DEFAULT_SG_TYPE)
        .filter_map(|custom| get(&custom.properties, "DefaultSecurityGroupId.Fn::GetAtt"))
        .any(|get_att| match get_att {
            Value::String(text) => *text == wanted,
            Value::Array(parts) => {
                parts.first().and_then(Value::as_str) == Some(resource.logical_id.as_str())
                    && parts.get(1).and_then(Value::as_str) == Some("DefaultSecurityGroup")
            }
            _ => false,
        })
}

fn default_security_group_closed(resource: &Resource, context: &Context<'_>) -> Verdict {
    let closed = restrict_sibling_present(resource, context)?
        || (context.compat == Compat::Improved && restricted_by_reference(resource, context));
    Ok(verdict(closed))
}

fn flow_logs_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let vpc = Value::String(resource.logical_id.clone());
    let logged = context
        .resources_of_type("AWS::EC2::FlowLog")
        .any(|flow_log| {
            let properties = &flow_log.properties;
            strict_eq(
                read(properties, "ResourceType", Kind::String).as_ref(),
                &Value::from("VPC"),
            ) && get(properties, "ResourceId").is_some_and(|id| reference(id) == vpc)
        });
    Ok(verdict(logged))
}

fn no_unrestricted_route_to_gateway(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "GatewayId").is_none() {
        return Ok(Outcome::Compliant);
    }
    // Both are resolved before either is tested, so an intrinsic in either throws.
    let v4 = primitive(properties, "DestinationCidrBlock", Kind::String, context)?;
    let v6 = primitive(
        properties,
        "DestinationIpv6CidrBlock",
        Kind::String,
        context,
    )?;
    Ok(verdict(
        !open_to_all(v4.as_ref()) && !open_to_all(v6.as_ref()),
    ))
}

fn subnet_auto_assign_public_ip_disabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let v4 = primitive(properties, "MapPublicIpOnLaunch", Kind::Boolean, context)?;
    let v6 = primitive(
        properties,
        "AssignIpv6AddressOnCreation",
        Kind::Boolean,
        context,
    )?;
    let yes = Value::Bool(true);
    Ok(verdict(
        !strict_eq(v4.as_ref(), &yes) && !strict_eq(v6.as_ref(), &yes),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rules::engine::run;

    /// `Compat::Improved` accepts the custom resource by reference where cdk-nag needs construct paths.
    #[test]
    fn improved_mode_accepts_restrict_default_sg_by_reference() {
        let text = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n  \
                    Restrict:\n    Type: Custom::VpcRestrictDefaultSG\n    Properties:\n      \
                    ServiceToken: arn\n      DefaultSecurityGroupId: !GetAtt Vpc.DefaultSecurityGroup\n";
        let Ok(template) = crate::template::parse("t.yaml", text) else {
            panic!("the test template does not parse");
        };
        let Some(check) = CHECKS
            .iter()
            .find(|check| check.name == "VPCDefaultSecurityGroupClosed")
        else {
            panic!("the check is not in CHECKS");
        };
        let known = BTreeMap::new();
        let verdict = |compat| {
            let context = Context {
                template: &template,
                compat,
                known: &known,
            };
            run(check, &template.resources[0], &context)
        };
        assert_eq!(verdict(Compat::CdkNag), Outcome::NonCompliant);
        assert_eq!(verdict(Compat::Improved), Outcome::Compliant);
    }
}
