//! `omrs-gitops import-cdk-json CDK_JSON`: print an environment file equivalent to a seed-style `cdk.json`.

use super::{write_out, Out};
use crate::cli::ImportArgs;
use crate::exit::{ExitStatus, Failure};

pub fn run(args: &ImportArgs, out: Out<'_>) -> Result<ExitStatus, Failure> {
    let path = args.cdk_json.display().to_string();
    let text = std::fs::read_to_string(&args.cdk_json).map_err(|error| {
        Failure::bad_input(format!(
            "{path}: cannot read: {error}; pass the path of the seed's cdk.json"
        ))
    })?;
    let options = crate::import::ImportOptions {
        stack_name: args.stack_name.clone(),
        account: args.account.clone(),
        region: args.region.clone(),
    };
    let yaml =
        crate::import::import_cdk_json(&path, &text, &options).map_err(Failure::bad_input)?;
    write_out(out, &yaml)?;
    Ok(ExitStatus::Success)
}
