//! Build matrix expansion, stages, job filtering. (Skeleton: issue 4.)
pub mod cli;
