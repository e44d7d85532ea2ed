//! Running jobs: the executor contract, the host executor, orchestration of stages
//! and jobs (`-j`, fast_finish, allow_failures, timeouts, Ctrl-C), output rendering
//! (folds, JSON lines, summary), the build result and the working-tree copy.
pub mod cache;
pub mod duration;
pub mod executor;
pub mod host;
pub mod junit;
pub mod orchestrate;
pub mod render;
pub mod report;
pub mod state;
pub mod worktree;
