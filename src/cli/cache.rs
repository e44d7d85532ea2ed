//! `travis-local cache list|clear`: the flags; the work is done by
//! `travis_local_docker::cache` (Docker volumes and the host executor's directories).

use crate::exit;
use travis_local_docker::cache as c;
use travis_local_runner::cache as host_cache;

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
    fn filter(&self) -> c::CacheFilter {
        match &self.command {
            CacheCommand::List(a) => c::CacheFilter {
                all: a.all,
                ..Default::default()
            },
            CacheCommand::Clear(a) => c::CacheFilter {
                all: a.all,
                branch: a.branch.clone(),
                key: a.key.clone(),
            },
        }
    }
}

pub fn main(args: &CacheArgs) -> i32 {
    let filter = args.filter();
    let done = match &args.command {
        CacheCommand::List(a) => c::list(&filter).map(|l| print_list(&l, a)),
        CacheCommand::Clear(_) => c::clear(&filter).map(|r| print_cleared(&r, &filter)),
    };
    done.unwrap_or_else(|e| {
        eprintln!("travis-local cache: {e}");
        exit::ENVIRONMENT
    })
}

fn print_list(listing: &c::CacheListing, a: &CacheListArgs) -> i32 {
    for w in &listing.warnings {
        eprintln!("travis-local cache: {w}");
    }
    let entries = &listing.entries;
    if a.format == CacheFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".into())
        );
        return exit::OK;
    }
    if entries.is_empty() {
        println!(
            "no caches{}",
            if a.all {
                ""
            } else {
                " for this repository (--all shows every repository's)"
            }
        );
        return exit::OK;
    }
    println!(
        "{:<39} {:<8} {:<20} {:<16} {:>9}  {:<20} SLUG",
        "KEY", "WHERE", "REPOSITORY", "BRANCH", "SIZE", "LAST USE"
    );
    for e in entries {
        println!(
            "{:<39} {:<8} {:<20} {:<16} {:>9}  {:<20} {}",
            e.id,
            e.executor,
            e.repo,
            e.branch,
            host_cache::human_size(e.size),
            host_cache::human_time(e.last_use),
            e.slug
        );
    }
    exit::OK
}

fn print_cleared(cleared: &c::Cleared, filter: &c::CacheFilter) -> i32 {
    for w in &cleared.warnings {
        eprintln!("travis-local cache: {w}");
    }
    if cleared.results.is_empty() && (filter.key.is_some() || filter.branch.is_some()) {
        eprintln!("travis-local cache clear: no cache matches (see `travis-local cache list`)");
        return exit::FAILED;
    }
    let mut code = exit::OK;
    for (e, r) in &cleared.results {
        match r {
            Ok(()) => println!("removed {} ({} {} {})", e.id, e.executor, e.branch, e.slug),
            Err(msg) => {
                eprintln!("travis-local cache clear: {msg}");
                code = exit::FAILED;
            }
        }
    }
    println!("removed {} cache(s)", cleared.removed());
    code
}
