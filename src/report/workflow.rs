//! GitHub Actions workflow commands: annotations (`::error file=F,line=N,title=T::message`) and `::add-mask::`.
//!
//! The runner reads these from a step's stdout and stderr, one command per line. Values are escaped as the
//! runner unescapes them: in the message `%` `\r` `\n` become `%25` `%0D` `%0A`; in properties `:` and `,`
//! become `%3A` and `%2C` as well. The commands are written to stderr by the callers, so that stdout stays the
//! data `--format` asked for.

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
