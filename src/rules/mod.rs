//! Compliance rules over CloudFormation templates: the HIPAA.Security and AwsSolutions packs of cdk-nag
//! 2.27.223, re-implemented over raw templates with the same verdicts.
//!
//! Shape: a `Check` is one implementation (data plus one function) in `checks/<service>.rs`; a `Rule` is one row
//! of a pack table in `packs/` that names a check by its implementation name, so a check shared by two packs
//! runs once per pack row with the same function. `engine` evaluates every rule of the selected packs over every
//! resource; suppressions are applied afterwards, never inside checks.
//!
//! Invariant: checks are pure functions of (resource, template, compatibility mode): no I/O, no clock.

pub mod checks;
pub mod engine;
pub mod packs;
pub mod suppression;
pub mod value;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::template::{Resource, Template};

/// How serious a failed rule is; Error-level failures fail the gate by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "Warning",
            Level::Error => "Error",
        }
    }
}

/// The rule packs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pack {
    /// `HIPAA.Security-*`: cdk-nag's HIPAA Security pack.
    HipaaSecurity,
    /// `AwsSolutions-*`: cdk-nag's AWS Solutions pack.
    AwsSolutions,
    /// `OpenMRS-*`: rules that know OpenMRS.
    Openmrs,
}

impl Pack {
    /// Every pack, in report order.
    pub const ALL: [Pack; 3] = [Pack::HipaaSecurity, Pack::AwsSolutions, Pack::Openmrs];

    /// The name used on the command line (`--pack hipaa-security`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Pack::HipaaSecurity => "hipaa-security",
            Pack::AwsSolutions => "aws-solutions",
            Pack::Openmrs => "openmrs",
        }
    }
}

/// What a check concluded for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Compliant,
    /// Failed, without finer-grained findings.
    NonCompliant,
    /// Failed with granular findings (`Action::s3:*`, `LogExport::audit`...), one report row each. Never empty.
    Findings(Vec<String>),
    /// The rule does not apply to this resource.
    NotApplicable,
    /// The rule could not decide, typically because it needs a literal where the template has an intrinsic.
    Unknown(String),
}

/// A check gave up (cdk-nag's "rule threw"): the verdict is UNKNOWN with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thrown(pub String);

/// What a check function returns; `Err` becomes `Outcome::Unknown`.
pub type Verdict = Result<Outcome, Thrown>;

/// Whether to reproduce cdk-nag exactly or resolve what the environment fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// Resolve pseudo parameters and parameter defaults the environment fixes before checking.
    #[default]
    Improved,
    /// cdk-nag 2.27.223's verdicts exactly, UNKNOWN included.
    CdkNag,
}

/// Everything a check may look at besides the resource itself.
pub struct Context<'a> {
    pub template: &'a Template,
    pub compat: Compat,
    /// Values of `Ref`s the environment fixes (pseudo parameters such as `AWS::Region`, template parameter
    /// defaults), used only in `Compat::Improved`.
    pub known: &'a BTreeMap<String, Value>,
}

impl Context<'_> {
    /// Every resource of the template of a given type, in document order (for cross-resource rules).
    pub fn resources_of_type<'b>(
        &'b self,
        resource_type: &'b str,
    ) -> impl Iterator<Item = &'b Resource> + 'b {
        self.template.of_type(resource_type)
    }
}

/// One check implementation: data plus one function.
pub struct Check {
    /// The implementation name, which is also the HIPAA rule suffix: `S3BucketLoggingEnabled`.
    pub name: &'static str,
    /// Resource types it applies to; every other type is not applicable.
    pub resource_types: &'static [&'static str],
    /// What is wrong when it fails, in one sentence.
    pub problem: &'static str,
    /// How to fix it, in one sentence.
    pub fix: &'static str,
    /// Decides for one resource of one of `resource_types`.
    pub eval: fn(&Resource, &Context<'_>) -> Verdict,
}

/// One row of a pack: a rule ID bound to a check.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The ID operators know: `HIPAA.Security-S3BucketLoggingEnabled`, `AwsSolutions-S1`.
    pub id: &'static str,
    pub pack: Pack,
    pub level: Level,
    /// The `Check::name` it runs.
    pub check: &'static str,
    /// HIPAA Security Rule controls (`164.312(b)`); empty for packs without a mapping.
    pub controls: &'static [&'static str],
}
