//! `omrs-gitops check [ENV...] [--template FILE]`: compliance rules, suppressions and the gate; in GitHub Actions,
//! annotations on the lines that define each failing resource.

use std::io::IsTerminal as _;

use super::{unsupported, write_out, Out};
use crate::cli::{CheckArgs, CompatArg, FailOn, Format, PackArg};
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::check::{check_file, check_rendered, CheckOptions, CheckReport};
use crate::report::check as writers;
use crate::rules::{packs, Compat, Level, Pack};
use crate::source::Source;
use crate::workspace::{load_all, render_all, resolve};

/// The packs named on the command line (every pack when none is).
fn selected_packs(packs: &[PackArg]) -> Vec<Pack> {
    if packs.is_empty() {
        return Pack::ALL.to_vec();
    }
    packs
        .iter()
        .map(|pack| match pack {
            PackArg::HipaaSecurity => Pack::HipaaSecurity,
            PackArg::AwsSolutions => Pack::AwsSolutions,
            PackArg::Openmrs => Pack::Openmrs,
        })
        .collect()
}

/// The options of a check run from the flags `check` and `plan` share.
pub(crate) fn check_options(
    packs: &[PackArg],
    compat: CompatArg,
    fail_on: FailOn,
) -> Result<CheckOptions, Failure> {
    Ok(CheckOptions {
        packs: selected_packs(packs),
        compat: match compat {
            CompatArg::Improved => Compat::Improved,
            CompatArg::CdkNag => Compat::CdkNag,
        },
        fail_on: match fail_on {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
        },
        today: today()?,
    })
}

pub fn run(source: &dyn Source, args: &CheckArgs, out: Out<'_>) -> Result<ExitStatus, Failure> {
    if args.list_rules {
        let rules = packs::rules(&selected_packs(&args.packs));
        return match args.format {
            Format::Text => write_out(out, &writers::rule_list(&rules, false)),
            Format::Json => write_out(out, &writers::rule_list(&rules, true)),
            other => Err(unsupported("check --list-rules", other, "text, json")),
        }
        .map(|()| ExitStatus::Success);
    }
    let options = check_options(&args.packs, args.compat, args.fail_on)?;
    let mut templates = Vec::new();
    if let Some(path) = &args.template {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Failure::bad_input(format!(
                "{shown}: cannot read: {error}; pass a CloudFormation template file"
            ))
        })?;
        templates.push(check_file(&shown, &text, &options)?);
    } else {
        let refs = resolve(source, &args.environments)?;
        let rendered = render_all(source, load_all(source, &refs)?)?;
        for item in &rendered {
            templates.push(check_rendered(
                &item.environment,
                &item.rendered,
                &item.set,
                &options,
            )?);
        }
    }
    let report = CheckReport {
        templates,
        fail_on: options.fail_on,
    };
    let text = match args.format {
        Format::Text => writers::text(&report, std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()),
        Format::Json => writers::json(&report),
        Format::Sarif => writers::sarif(&report),
        Format::Markdown => writers::markdown(&report),
        Format::Csv => match report.templates.as_slice() {
            [single] => writers::csv(single),
            _ => {
                return Err(Failure::bad_input(
                    "`--format csv` writes cdk-nag's one-template report; name one environment or pass `--template`",
                ))
            }
        },
    };
    write_out(out, &text)?;
    // In GitHub Actions, findings also become annotations on the template lines that define the resources. They
    // go to stderr, which the runner reads for workflow commands too, so stdout stays the `--format` data.
    if crate::github::actions::in_actions() {
        crate::github::actions::write_workflow_commands(
            &crate::report::workflow::check_annotations(&report),
        )?;
    }
    Ok(if report.passed() {
        ExitStatus::Success
    } else {
        ExitStatus::GateFailed
    })
}

/// Today's date (UTC), or `OMRS_GITOPS_TODAY` when set, for expiring suppressions, drift ignores and allowlist
/// entries.
pub(crate) fn today() -> Result<(i32, u32, u32), Failure> {
    if let Ok(text) = std::env::var("OMRS_GITOPS_TODAY") {
        return crate::config::parse_date(&text).ok_or_else(|| {
            Failure::bad_input(format!(
                "OMRS_GITOPS_TODAY=`{text}` is not a `YYYY-MM-DD` date"
            ))
        });
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::service("the system clock is before 1970"))?
        .as_secs();
    Ok(civil_from_days((seconds / 86_400) as i64))
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
