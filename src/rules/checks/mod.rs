//! Check implementations, one file per AWS service. Each file exports `CHECKS`, a list of `Check` values; this
//! module joins them into the registry that pack tables refer to by name.

use super::Check;

pub mod apigateway;
pub mod appsync;
pub mod athena;
pub mod autoscaling;
pub mod backup;
pub mod cloud9;
pub mod cloudfront;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod codebuild;
pub mod cognito;
pub mod dax;
pub mod dms;
pub mod docdb;
pub mod dynamodb;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod efs;
pub mod eks;
pub mod elasticache;
pub mod elasticbeanstalk;
pub mod elb;
pub mod emr;
pub mod events;
pub mod glue;
pub mod iam;
pub mod kinesis;
pub mod kms;
pub mod lambda;
pub mod lex;
pub mod mediastore;
pub mod msk;
pub mod neptune;
pub mod openmrs;
pub mod opensearch;
mod policy;
pub mod quicksight;
pub mod rds;
pub mod redshift;
pub mod s3;
pub mod sagemaker;
pub mod secretsmanager;
pub mod sns;
pub mod sqs;
pub mod stepfunctions;
pub mod timestream;
pub mod vpc;
pub mod wafv2;

/// Every registered check.
pub fn all() -> impl Iterator<Item = &'static Check> {
    [
        apigateway::CHECKS,
        appsync::CHECKS,
        athena::CHECKS,
        autoscaling::CHECKS,
        backup::CHECKS,
        cloud9::CHECKS,
        cloudfront::CHECKS,
        cloudtrail::CHECKS,
        cloudwatch::CHECKS,
        codebuild::CHECKS,
        cognito::CHECKS,
        dax::CHECKS,
        dms::CHECKS,
        docdb::CHECKS,
        dynamodb::CHECKS,
        ec2::CHECKS,
        ecr::CHECKS,
        ecs::CHECKS,
        efs::CHECKS,
        eks::CHECKS,
        elasticache::CHECKS,
        elasticbeanstalk::CHECKS,
        elb::CHECKS,
        emr::CHECKS,
        events::CHECKS,
        glue::CHECKS,
        iam::CHECKS,
        kinesis::CHECKS,
        kms::CHECKS,
        lambda::CHECKS,
        lex::CHECKS,
        mediastore::CHECKS,
        msk::CHECKS,
        neptune::CHECKS,
        openmrs::CHECKS,
        opensearch::CHECKS,
        quicksight::CHECKS,
        rds::CHECKS,
        redshift::CHECKS,
        s3::CHECKS,
        sagemaker::CHECKS,
        secretsmanager::CHECKS,
        sns::CHECKS,
        sqs::CHECKS,
        stepfunctions::CHECKS,
        timestream::CHECKS,
        vpc::CHECKS,
        wafv2::CHECKS,
    ]
    .into_iter()
    .flatten()
}

/// The check with this implementation name.
pub fn find(name: &str) -> Option<&'static Check> {
    all().find(|check| check.name == name)
}
