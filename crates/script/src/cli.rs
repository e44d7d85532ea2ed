//! `travis-local compile` and `travis-local secrets`.
#[derive(clap::Args, Debug)]
pub struct CompileArgs {}
#[derive(clap::Args, Debug)]
pub struct SecretsArgs {}
pub fn compile_main(_args: &CompileArgs) -> i32 {
    eprintln!("travis-local compile: not implemented yet");
    2
}
pub fn secrets_main(_args: &SecretsArgs) -> i32 {
    eprintln!("travis-local secrets: not implemented yet");
    2
}
