//! Checks for Cognito: user pools have a strong password policy, require MFA and enforce advanced security;
//! identity pools do not hand out credentials to unauthenticated users.

use serde_json::Value;

use crate::rules::value::{get, js_number, loose_eq, primitive, strict_eq, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const USER_POOL: &[&str] = &["AWS::Cognito::UserPool"];
const PASSWORD_POLICY: &str = "Policies.PasswordPolicy";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "CognitoUserPoolStrongPasswordPolicy",
        resource_types: USER_POOL,
        problem: "The user pool's password policy allows passwords shorter than 8 characters or without upper-case letters, numbers and symbols",
        fix: "Set `Policies.PasswordPolicy` with `MinimumLength` of at least 8 and `RequireUppercase`, `RequireNumbers` and `RequireSymbols` all `true`",
        eval: strong_password_policy,
    },
    Check {
        name: "CognitoUserPoolMFA",
        resource_types: USER_POOL,
        problem: "The user pool does not require multi-factor authentication, so a stolen password is enough to sign in",
        fix: "Set `MfaConfiguration: 'ON'` and configure SMS or software-token MFA",
        eval: mfa,
    },
    Check {
        name: "CognitoUserPoolAdvancedSecurityModeEnforced",
        resource_types: USER_POOL,
        problem: "The user pool does not enforce advanced security, so risky sign-ins and compromised credentials are not blocked",
        fix: "Set `UserPoolAddOns.AdvancedSecurityMode: ENFORCED`",
        eval: advanced_security_mode_enforced,
    },
    Check {
        name: "CognitoUserPoolNoUnauthenticatedLogins",
        resource_types: &["AWS::Cognito::IdentityPool"],
        problem: "The identity pool gives AWS credentials to unauthenticated guests",
        fix: "Set `AllowUnauthenticatedIdentities: false`, or suppress the rule with the reason guest access is needed",
        eval: no_unauthenticated_logins,
    },
];

fn strong_password_policy(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // An intrinsic in place of `Policies` or the password policy has no keys and fails.
    if get(properties, PASSWORD_POLICY).is_none() {
        return Ok(Outcome::NonCompliant);
    }
    // Each setting is resolved only after the ones before it passed, so an intrinsic later on does not
    // matter once an earlier setting fails.
    let length = primitive(
        properties,
        &format!("{PASSWORD_POLICY}.MinimumLength"),
        Kind::Number,
        context,
    )?;
    // `< 8`: a value that is not a number (NaN) is not less than 8 and passes this test.
    if length.is_none() || length.as_ref().and_then(js_number).is_some_and(|n| n < 8.0) {
        return Ok(Outcome::NonCompliant);
    }
    for flag in ["RequireUppercase", "RequireNumbers", "RequireSymbols"] {
        let value = primitive(
            properties,
            &format!("{PASSWORD_POLICY}.{flag}"),
            Kind::Boolean,
            context,
        )?;
        if !strict_eq(value.as_ref(), &Value::Bool(true)) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn mfa(resource: &Resource, context: &Context<'_>) -> Verdict {
    let mfa = primitive(
        &resource.properties,
        "MfaConfiguration",
        Kind::String,
        context,
    )?;
    // `OPTIONAL` is not enough.
    Ok(verdict(loose_eq(mfa.as_ref(), &Value::from("ON"))))
}

fn advanced_security_mode_enforced(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "UserPoolAddOns").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let mode = primitive(
        properties,
        "UserPoolAddOns.AdvancedSecurityMode",
        Kind::String,
        context,
    )?;
    Ok(verdict(loose_eq(mode.as_ref(), &Value::from("ENFORCED"))))
}

fn no_unauthenticated_logins(resource: &Resource, context: &Context<'_>) -> Verdict {
    let allowed = primitive(
        &resource.properties,
        "AllowUnauthenticatedIdentities",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!truthy(allowed.as_ref())))
}
