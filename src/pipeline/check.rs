//! The `check` stage: evaluate rule packs over rendered environments or a given template, apply suppressions,
//! and decide the gate.

use std::collections::BTreeMap;

use crate::config::{NamedEnvironment, Suppression};
use crate::exit::Failure;
use crate::render::{Rendered, TemplateSet};
use crate::rules::engine::{evaluate, known_values};
use crate::rules::suppression::{apply, Compliance};
use crate::rules::{packs, Compat, Level, Pack, Rule};
use crate::template::{from_document, parse, Template};

/// Where a resource is defined, for annotations: a repository file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

/// One report row with everything the writers need, owned.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub rule: &'static Rule,
    pub logical_id: String,
    /// `aws:cdk:path` when present, else the logical ID (cdk-nag's Resource ID column).
    pub report_id: String,
    pub resource_type: String,
    pub finding: Option<String>,
    pub compliance: Compliance,
    pub location: Location,
}

impl CheckRow {
    /// The level this row counts at for the gate, when it is an unsuppressed failure (UNKNOWN is a warning).
    pub fn gate_level(&self) -> Option<Level> {
        match self.compliance {
            Compliance::NonCompliant => Some(self.rule.level),
            Compliance::Unknown(_) => Some(Level::Warning),
            _ => None,
        }
    }
}

/// A ledger entry the gate reports on.
#[derive(Debug, Clone)]
pub struct LedgerNote {
    pub index: usize,
    pub suppression: Suppression,
    /// Where the ledger lives (the environment file).
    pub file: String,
}

/// The checked result of one template.
#[derive(Debug, Clone)]
pub struct CheckedTemplate {
    /// Environment name, or the template file's name.
    pub name: String,
    /// The template as the user knows it (environment file or template path).
    pub source: String,
    pub resources: usize,
    pub rows: Vec<CheckRow>,
    pub expired: Vec<LedgerNote>,
    pub stale: Vec<LedgerNote>,
}

/// Options of a check run.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub packs: Vec<Pack>,
    pub compat: Compat,
    pub fail_on: Level,
    /// `(year, month, day)` used to expire suppressions; read from the clock by the command.
    pub today: (i32, u32, u32),
}

/// The outcome of `check` over several templates.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub templates: Vec<CheckedTemplate>,
    pub fail_on: Level,
}

impl CheckedTemplate {
    /// Rows that fail the gate at `fail_on`.
    pub fn blocking(&self, fail_on: Level) -> impl Iterator<Item = &CheckRow> {
        self.rows
            .iter()
            .filter(move |row| row.gate_level().is_some_and(|level| level >= fail_on))
    }

    /// Unsuppressed rows that did not pass (non-compliant or unknown), whatever their level.
    pub fn failing(&self) -> impl Iterator<Item = &CheckRow> {
        self.rows.iter().filter(|row| row.gate_level().is_some())
    }

    /// This template's gate passes when nothing blocks and no suppression has expired.
    pub fn passed(&self, fail_on: Level) -> bool {
        self.blocking(fail_on).next().is_none() && self.expired.is_empty()
    }
}

impl CheckReport {
    /// Rows that fail the gate.
    pub fn blocking(&self) -> impl Iterator<Item = (&CheckedTemplate, &CheckRow)> {
        self.templates.iter().flat_map(move |checked| {
            checked
                .blocking(self.fail_on)
                .map(move |row| (checked, row))
        })
    }

    /// The gate passes when every template's gate passes.
    pub fn passed(&self) -> bool {
        self.templates
            .iter()
            .all(|checked| checked.passed(self.fail_on))
    }
}

/// Checks one rendered environment; `set` locates each logical ID in the template sources.
pub fn check_rendered(
    environment: &NamedEnvironment,
    rendered: &Rendered,
    set: &TemplateSet,
    options: &CheckOptions,
) -> Result<CheckedTemplate, Failure> {
    let file = format!("{}.template.json", environment.name);
    let template = from_document(&file, rendered.document.clone(), |_| {
        crate::config::Position { line: 1, column: 1 }
    })
    .map_err(|error| Failure::bad_input(error.to_string()))?;
    let stack = &environment.environment.stack;
    let known = known_values(&template, Some(&stack.region), Some(&stack.account));
    let definitions = crate::render::definitions(set);
    let locate = |logical_id: &str| {
        definitions.get(logical_id).map_or_else(
            || Location {
                file: environment.path.clone(),
                line: 1,
            },
            |(file, line)| Location {
                file: file.clone(),
                line: *line,
            },
        )
    };
    run(
        &environment.name,
        &environment.path,
        &template,
        &known,
        &environment.environment.suppressions,
        options,
        locate,
    )
}

/// Checks a template file given with `--template`.
pub fn check_file(
    path: &str,
    text: &str,
    options: &CheckOptions,
) -> Result<CheckedTemplate, Failure> {
    let template = parse(path, text).map_err(|error| Failure::bad_input(error.to_string()))?;
    let known = known_values(&template, None, None);
    let positions: BTreeMap<String, usize> = template
        .resources
        .iter()
        .map(|resource| (resource.logical_id.clone(), resource.position.line))
        .collect();
    let locate = |logical_id: &str| Location {
        file: path.to_owned(),
        line: positions.get(logical_id).copied().unwrap_or(1),
    };
    let name = std::path::Path::new(path).file_name().map_or_else(
        || path.to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    run(&name, path, &template, &known, &[], options, locate)
}

fn run(
    name: &str,
    source: &str,
    template: &Template,
    known: &BTreeMap<String, serde_json::Value>,
    ledger: &[Suppression],
    options: &CheckOptions,
    locate: impl Fn(&str) -> Location,
) -> Result<CheckedTemplate, Failure> {
    let rules = packs::rules(&options.packs);
    let results = evaluate(template, &rules, options.compat, known);
    let applied = apply(template, results, ledger, options.today)
        .map_err(|error| Failure::bad_input(error.to_string()))?;
    let rows = applied
        .rows
        .into_iter()
        .map(|row| CheckRow {
            rule: row.rule,
            logical_id: row.resource.logical_id.clone(),
            report_id: row.resource.report_id().to_owned(),
            resource_type: row.resource.resource_type.clone(),
            finding: row.finding,
            compliance: row.compliance,
            location: locate(&row.resource.logical_id),
        })
        .collect();
    let note = |index: usize| LedgerNote {
        index,
        suppression: ledger[index].clone(),
        file: source.to_owned(),
    };
    Ok(CheckedTemplate {
        name: name.to_owned(),
        source: source.to_owned(),
        resources: template.resources.len(),
        rows,
        expired: applied.expired.into_iter().map(note).collect(),
        stale: applied.stale.into_iter().map(note).collect(),
    })
}
