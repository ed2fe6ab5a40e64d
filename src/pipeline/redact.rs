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
        if let Some(parameters) = document.get("Parameters").and_then(Value::as_object) {
            for (name, parameter) in parameters {
                let no_echo = match parameter.get("NoEcho") {
                    Some(Value::Bool(flag)) => *flag,
                    Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
                    _ => false,
                };
                if no_echo {
                    redactor.no_echo.push(name.clone());
                    if let Some(default) = parameter.get("Default") {
                        let text = match default {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        redactor.add_value(&text);
                    }
                }
            }
        }
        redactor
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
}
