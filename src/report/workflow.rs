//! GitHub Actions workflow commands: annotations (`::error file=F,line=N,title=T::message`), the annotations of
//! a `check` report, and `::add-mask::`.
//!
//! The runner reads these from a step's stdout and stderr, one command per line. Values are escaped as the
//! runner unescapes them: in the message `%` `\r` `\n` become `%25` `%0D` `%0A`; in properties `:` and `,`
//! become `%3A` and `%2C` as well. The commands are written to stderr by the callers, so that stdout stays the
//! data `--format` asked for.

use std::collections::BTreeMap;

use crate::pipeline::check::CheckReport;

/// Escapes the message (data) part of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file`, `title`) of a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// How an annotation shows on the pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnnotationLevel {
    Error,
    Warning,
}

/// One annotation on a file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: AnnotationLevel,
    /// A path relative to the repository root.
    pub file: String,
    /// 1-based; `None` annotates the whole file.
    pub line: Option<usize>,
    pub title: String,
    pub message: String,
}

/// The workflow command for one annotation, with its newline.
pub fn annotation(annotation: &Annotation) -> String {
    let command = match annotation.level {
        AnnotationLevel::Error => "error",
        AnnotationLevel::Warning => "warning",
    };
    let mut properties = vec![format!("file={}", escape_property(&annotation.file))];
    if let Some(line) = annotation.line {
        properties.push(format!("line={}", line.max(1)));
    }
    properties.push(format!("title={}", escape_property(&annotation.title)));
    format!(
        "::{command} {}::{}\n",
        properties.join(","),
        escape_data(&annotation.message)
    )
}

/// The workflow command that makes the runner replace `value` by `***` in every later log line, with its newline.
pub fn add_mask(value: &str) -> String {
    format!("::add-mask::{}\n", escape_data(value))
}

/// GitHub Actions annotations (workflow commands, one per line) for a pull request's "Files changed" view:
/// `::error` for every row that fails the gate and every expired suppression, `::warning` for the other
/// unsuppressed failures, the unknown verdicts and stale suppressions. Rows of several environments that point at
/// the same template line for the same rule and resource become one annotation naming the environments, since a
/// shared template fragment would otherwise be annotated once per environment. Sorted by file, line and rule.
pub fn check_annotations(report: &CheckReport) -> String {
    // (file, line, rule, logical ID, finding) -> (level, message, environments)
    type Key = (String, usize, &'static str, String, Option<String>);
    let mut grouped: BTreeMap<Key, (AnnotationLevel, String, Vec<String>)> = BTreeMap::new();
    for checked in &report.templates {
        for row in &checked.rows {
            let Some(gate_level) = row.gate_level() else {
                continue;
            };
            let level = if gate_level >= report.fail_on {
                AnnotationLevel::Error
            } else {
                AnnotationLevel::Warning
            };
            let message = super::check::finding_message(row);
            let key = (
                row.location.file.clone(),
                row.location.line,
                row.rule.id,
                row.logical_id.clone(),
                row.finding.clone(),
            );
            let entry = grouped
                .entry(key)
                .or_insert_with(|| (level, message, Vec::new()));
            entry.0 = entry.0.min(level);
            entry.2.push(checked.name.clone());
        }
    }
    let mut out = String::new();
    for ((file, line, rule, _, _), (level, message, environments)) in grouped {
        out.push_str(&annotation(&Annotation {
            level,
            file,
            line: Some(line),
            title: format!("{rule} ({})", environments.join(", ")),
            message,
        }));
    }
    for checked in &report.templates {
        for (notes, level, what) in [
            (&checked.expired, AnnotationLevel::Error, "expired on"),
            (&checked.stale, AnnotationLevel::Warning, "matches nothing"),
        ] {
            for note in notes {
                let when = if level == AnnotationLevel::Error {
                    format!(" {}", note.suppression.expires.as_deref().unwrap_or("?"))
                } else {
                    String::new()
                };
                out.push_str(&annotation(&Annotation {
                    level,
                    file: note.file.clone(),
                    line: None,
                    title: format!("suppressions[{}] ({})", note.index, checked.name),
                    message: format!(
                        "the suppression of {} on `{}` {what}{when}; renew or remove it",
                        note.suppression.rule, note.suppression.resource
                    ),
                }));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(
            escape_data("50% done\r\nnext: a,b"),
            "50%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn annotations_are_one_line_commands() {
        let text = annotation(&Annotation {
            level: AnnotationLevel::Error,
            file: "templates/openmrs-fargate/10-storage.json.j2".into(),
            line: Some(12),
            title: "HIPAA.Security-S3BucketLoggingEnabled (dev, prod)".into(),
            message: "`Bucket`: no access logs.\nEnable them.".into(),
        });
        assert_eq!(
            text,
            "::error file=templates/openmrs-fargate/10-storage.json.j2,line=12,title=HIPAA.Security-S3BucketLoggingEnabled (dev%2C prod)::`Bucket`: no access logs.%0AEnable them.\n"
        );
        let whole_file = annotation(&Annotation {
            level: AnnotationLevel::Warning,
            file: "pipelines/prod.yaml".into(),
            line: None,
            title: "t".into(),
            message: "m".into(),
        });
        assert_eq!(
            whole_file,
            "::warning file=pipelines/prod.yaml,title=t::m\n"
        );
        assert_eq!(add_mask("a%b\nc"), "::add-mask::a%25b%0Ac\n");
    }
}
