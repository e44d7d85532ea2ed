//! Config front end: YAML loading with spans, normalisation like travis-yml, lint.
//! (Skeleton: the real implementation lands with issue 2.)
pub mod cli;
