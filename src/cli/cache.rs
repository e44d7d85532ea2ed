//! `travis-local cache list|clear`: the flags; the work is done by
//! `travis_local_docker::cache` (Docker volumes and the host executor's directories).

use travis_local_docker::cache as c;

/// `travis-local cache`
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Caches are keyed like Travis's: repository, branch (PR.<n> for a pull request) and a slug of os, dist, language version and a hash of the job's env. Docker caches are named volumes travis-local-cache-<hash>; host-executor caches are directories under ${XDG_CACHE_HOME:-~/.cache}/travis-local/caches/host/.
Exit status: 0 done, 1 nothing matched or something could not be removed, 2 usage."
)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CacheCommand {
    /// List the caches of this repository (key, branch, slug, size, last use)
    List(CacheListArgs),
    /// Remove caches of this repository: all, one branch's (--branch), or one (KEY)
    Clear(CacheClearArgs),
}

#[derive(clap::Args, Debug)]
pub struct CacheListArgs {
    /// Every repository's caches, not only this one's
    #[arg(long)]
    pub all: bool,
    /// Output: human or json
    #[arg(long, value_enum, default_value = "human")]
    pub format: CacheFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheFormat {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct CacheClearArgs {
    /// Only the caches of this branch (`PR.<n>` for a pull request's)
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// Every repository's caches, not only this one's
    #[arg(long)]
    pub all: bool,
    /// One cache: its key (`travis-local-cache-…`, as `cache list` shows) or its slug
    #[arg(value_name = "KEY")]
    pub key: Option<String>,
}

impl CacheArgs {
    fn settings(&self) -> c::CacheArgs {
        c::CacheArgs {
            command: match &self.command {
                CacheCommand::List(a) => c::CacheCommand::List(c::CacheListArgs {
                    all: a.all,
                    format: match a.format {
                        CacheFormat::Human => c::CacheFormat::Human,
                        CacheFormat::Json => c::CacheFormat::Json,
                    },
                }),
                CacheCommand::Clear(a) => c::CacheCommand::Clear(c::CacheClearArgs {
                    branch: a.branch.clone(),
                    all: a.all,
                    key: a.key.clone(),
                }),
            },
        }
    }
}

pub fn main(args: &CacheArgs) -> i32 {
    c::cache_main(&args.settings())
}
