//! `travis-local-bench`: no code of its own. It holds the criterion benches of the
//! condition, config, matrix and script crates (`benches/`), so that criterion (which
//! depends on clap) is not a dev-dependency of those crates: `cargo tree -p` of any of
//! them shows no clap (issue 11). Run one with `cargo bench -p travis-local-bench --bench
//! lint` (`condition`, `lint`, `expand`, `script`).
