//! Redaction of values that are or may be secrets, before anything reaches a report.
//!
//! A value is redacted when it contains a dynamic reference (`{{resolve:...}}`), when the property it belongs
//! to has a secret-looking name, when it was caused by a NoEcho parameter, or when it contains the value (or
//! default) of a NoEcho parameter. AWS masks NoEcho values itself, emulators do not: nothing here relies on that.
//! Every value learned is also announced to the GitHub Actions log with `::add-mask::` (`github::mask`).

use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Fragments of property names that hold secrets, compared case-insensitively without `_` and `-`.
const SECRET_NAME_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secretstring",
    "secretkey",
    "secretaccesskey",
    "clientsecret",
    "token",
    "credential",
    "privatekey",
    "apikey",
    "authkey",
    "connectionstring",
];

/// Knows the NoEcho parameters of one template and the secret values seen so far.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    no_echo: Vec<String>,
    values: Vec<String>,
}

impl Redactor {
    /// Reads NoEcho parameters (and their defaults) from a CloudFormation document.
    pub fn for_template(document: &Value) -> Redactor {
        let mut redactor = Redactor::default();
        redactor.learn(document);
        redactor
    }

    /// Adds the NoEcho parameters (and their defaults) of another document, such as the base's.
    pub fn learn(&mut self, document: &Value) {
        let Some(parameters) = document.get("Parameters").and_then(Value::as_object) else {
            return;
        };
        for (name, parameter) in parameters {
            let no_echo = match parameter.get("NoEcho") {
                Some(Value::Bool(flag)) => *flag,
                Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
                _ => false,
            };
            if no_echo {
                if !self.is_no_echo(name) {
                    self.no_echo.push(name.clone());
                }
                if let Some(default) = parameter.get("Default") {
                    let text = match default {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    self.add_value(&text);
                }
            }
        }
    }

    /// Redacts the values of a template diff: every value of a NoEcho parameter, values under a
    /// secret-looking property name, and known secret values inside any other string.
    pub fn diff(&self, diff: &mut crate::diff::TemplateDiff) {
        for change in &mut diff.changes {
            let whole = change.section == "Parameters" && self.is_no_echo(&change.logical_id);
            for property in &mut change.properties {
                let secret = whole || Redactor::secret_name(&property.path);
                for value in [&mut property.before, &mut property.after]
                    .into_iter()
                    .flatten()
                {
                    *value = if secret {
                        Value::String(REDACTED.to_owned())
                    } else {
                        self.json(value)
                    };
                }
            }
        }
    }

    /// Every string inside `value` through `text`.
    fn json(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|item| self.json(item)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| (key.clone(), self.json(item)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Remembers a secret value: every later occurrence is redacted, and the GitHub Actions log masks it
    /// (`github::mask`, a no-op outside Actions).
    pub fn add_value(&mut self, value: &str) {
        if value.len() >= 4 && value != "****" && !self.values.iter().any(|known| known == value) {
            crate::github::mask::secret(value);
            self.values.push(value.to_owned());
            // Longest first, so a value containing another is replaced whole.
            self.values
                .sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// Whether `name` is a NoEcho parameter.
    pub fn is_no_echo(&self, name: &str) -> bool {
        self.no_echo.iter().any(|known| known == name)
    }

    /// Whether a property name looks like it holds a secret.
    pub fn secret_name(name: &str) -> bool {
        let folded: String = name
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        SECRET_NAME_PARTS.iter().any(|part| folded.contains(part))
    }

    /// Redacts free text (reasons, messages): dynamic references and known secret values.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), REDACTED);
            }
        }
        while let Some(start) = out.find("{{resolve:") {
            let end = out[start..]
                .find("}}")
                .map_or(out.len(), |offset| start + offset + 2);
            out.replace_range(start..end, REDACTED);
        }
        out
    }

    /// Redacts a property value: wholly when the property name or its cause is secret, else as text.
    pub fn value(&self, property: &str, causing_entity: Option<&str>, value: &str) -> String {
        let caused_by_secret = causing_entity.is_some_and(|entity| self.is_no_echo(entity));
        if Redactor::secret_name(property) || caused_by_secret || value.contains("{{resolve:") {
            REDACTED.to_owned()
        } else {
            self.text(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_dynamic_references_no_echo_values_and_secret_names() {
        let document = serde_json::json!({"Parameters": {
            "DbPassword": {"Type": "String", "NoEcho": true, "Default": "hunter22"},
            "Name": {"Type": "String", "Default": "visible"}}});
        let redactor = Redactor::for_template(&document);
        assert!(redactor.is_no_echo("DbPassword"));
        assert_eq!(redactor.text("pw is hunter22!"), "pw is [redacted]!");
        assert_eq!(
            redactor.text("x {{resolve:secretsmanager:s:SecretString:p}} y"),
            "x [redacted] y"
        );
        assert_eq!(redactor.value("MasterUserPassword", None, "abc"), REDACTED);
        assert_eq!(
            redactor.value("Description", Some("DbPassword"), "abc"),
            REDACTED
        );
        assert_eq!(redactor.value("Description", None, "visible"), "visible");
        assert!(!Redactor::secret_name("KmsKeyId"));
    }

    #[test]
    fn diffs_lose_no_echo_values_and_secret_properties() {
        let before = serde_json::json!({"Parameters": {
            "AdminPassword": {"Type": "String", "NoEcho": true, "Default": "old-secret-1"}}});
        let after = serde_json::json!({
            "Parameters": {"AdminPassword": {"Type": "String", "NoEcho": true, "Default": "new-secret-2"}},
            "Resources": {"Db": {"Type": "AWS::RDS::DBCluster", "Properties": {
                "MasterUserPassword": "plain-3", "Description": "was old-secret-1"}}}});
        let base = serde_json::json!({
            "Parameters": before["Parameters"].clone(),
            "Resources": {"Db": {"Type": "AWS::RDS::DBCluster", "Properties": {
                "MasterUserPassword": "plain-2", "Description": "x"}}}});
        let mut diff = crate::diff::diff(Some(&base), &after);
        let mut redactor = Redactor::for_template(&after);
        redactor.learn(&base);
        redactor.diff(&mut diff);
        let shown = format!("{diff:?}");
        for secret in ["old-secret-1", "new-secret-2", "plain-2", "plain-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("was [redacted]"), "{shown}");
    }
}
