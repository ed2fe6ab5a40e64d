//! Check implementations, one file per AWS service. Each file exports `CHECKS`, a list of `Check` values; this
//! module joins them into the registry that pack tables refer to by name.

use super::Check;

pub mod apigateway;
pub mod autoscaling;
pub mod backup;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod codebuild;
pub mod dms;
pub mod dynamodb;
pub mod ec2;
pub mod ecs;
pub mod efs;
pub mod elasticache;
pub mod elasticbeanstalk;
pub mod elb;
pub mod emr;
pub mod iam;
pub mod lambda;
pub mod opensearch;
pub mod rds;
pub mod redshift;
pub mod s3;
pub mod sagemaker;
pub mod secretsmanager;
pub mod sns;
pub mod vpc;
pub mod wafv2;

/// Every registered check.
pub fn all() -> impl Iterator<Item = &'static Check> {
    [
        apigateway::CHECKS,
        autoscaling::CHECKS,
        backup::CHECKS,
        cloudtrail::CHECKS,
        cloudwatch::CHECKS,
        codebuild::CHECKS,
        dms::CHECKS,
        dynamodb::CHECKS,
        ec2::CHECKS,
        ecs::CHECKS,
        efs::CHECKS,
        elasticache::CHECKS,
        elasticbeanstalk::CHECKS,
        elb::CHECKS,
        emr::CHECKS,
        iam::CHECKS,
        lambda::CHECKS,
        opensearch::CHECKS,
        rds::CHECKS,
        redshift::CHECKS,
        s3::CHECKS,
        sagemaker::CHECKS,
        secretsmanager::CHECKS,
        sns::CHECKS,
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
