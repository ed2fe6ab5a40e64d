//! The OpenMRS pack: rules that know the application. IDs name the state that must hold.

use crate::rules::{Level, Pack, Rule};

/// Every OpenMRS rule.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { id: "OpenMRS-HealthCheckProbesStarted", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsHealthCheckProbesStarted", controls: &["164.308(a)(7)(i)"] },
    Rule { id: "OpenMRS-GracePeriodCoversFirstStart", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsGracePeriodCoversFirstStart", controls: &["164.308(a)(7)(i)"] },
    Rule { id: "OpenMRS-CredentialsFromSecretsManager", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsCredentialsFromSecretsManager", controls: &["164.312(a)(1)", "164.312(d)"] },
    Rule { id: "OpenMRS-NoDeprecatedConfigVariables", pack: Pack::Openmrs, level: Level::Warning, check: "OpenmrsNoDeprecatedConfigVariables", controls: &[] },
    Rule { id: "OpenMRS-DatabaseRequiresSecureTransport", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsDatabaseRequiresSecureTransport", controls: &["164.312(e)(1)", "164.312(e)(2)(i)"] },
    Rule { id: "OpenMRS-JdbcUsesTls", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsJdbcUsesTls", controls: &["164.312(e)(1)", "164.312(e)(2)(i)"] },
    Rule { id: "OpenMRS-JdbcVerifiesServerCertificate", pack: Pack::Openmrs, level: Level::Warning, check: "OpenmrsJdbcVerifiesServerCertificate", controls: &["164.312(e)(1)"] },
    Rule { id: "OpenMRS-ImagesPinnedByDigest", pack: Pack::Openmrs, level: Level::Warning, check: "OpenmrsImagesPinnedByDigest", controls: &["164.312(c)(1)"] },
    Rule { id: "OpenMRS-DataSeededBeforeStart", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsDataSeededBeforeStart", controls: &["164.312(c)(1)"] },
    Rule { id: "OpenMRS-BackendLogsEncrypted", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsBackendLogsEncrypted", controls: &["164.312(a)(2)(iv)", "164.312(b)"] },
    Rule { id: "OpenMRS-SessionsSurviveScaleIn", pack: Pack::Openmrs, level: Level::Warning, check: "OpenmrsSessionsSurviveScaleIn", controls: &[] },
    Rule { id: "OpenMRS-StatefulResourcesRetained", pack: Pack::Openmrs, level: Level::Error, check: "OpenmrsStatefulResourcesRetained", controls: &["164.308(a)(7)(ii)(A)", "164.310(d)(2)(iv)"] },
];
