//! Running jobs: the executor contract, the host executor, orchestration of stages
//! and jobs, output rendering and the build result. (Skeleton: issue 5.)
pub mod cli;
pub mod executor;
pub mod host;
