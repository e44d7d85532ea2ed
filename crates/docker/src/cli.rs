//! Docker-related flags of `run`, and `travis-local image` / `travis-local clean`.
#[derive(clap::Args, Debug)]
pub struct DockerArgs {}
#[derive(clap::Args, Debug)]
pub struct ImageArgs {}
#[derive(clap::Args, Debug)]
pub struct CleanArgs {}
pub fn image_main(_args: &ImageArgs) -> i32 {
    eprintln!("travis-local image: not implemented yet");
    2
}
pub fn clean_main(_args: &CleanArgs) -> i32 {
    eprintln!("travis-local clean: not implemented yet");
    2
}
