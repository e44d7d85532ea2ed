//! `completions`, `man` and the hidden `__complete-jobs`: generated from the same clap
//! definitions as the parser (clap_complete, clap_mangen), so they never drift from it.
//!
//! Job numbers are completed dynamically where the shell's completion system can run a
//! command: the bash and fish scripts call `travis-local __complete-jobs` for the
//! positional JOB arguments of `run` and `compile`. The zsh, elvish and PowerShell
//! scripts are clap's static ones (options, subcommands and enumerated values).

use clap::Command;
use clap_complete::Shell;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write travis-local.1 and one travis-local-SUBCOMMAND.1 page per subcommand into
    /// this directory (created) instead of printing travis-local(1)
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

const BIN: &str = "travis-local";

/// Bash: complete `run`/`compile` job arguments from the build, else clap's completion.
const BASH_JOBS: &str = r#"
_travis_local_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" sub="" w
    for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        case "$w" in -*) ;; *) sub="$w"; break ;; esac
    done
    if [[ ( "$sub" == run || "$sub" == compile ) && "$cur" != -* && " @VALUE_OPTS@ " != *" $prev "* ]]; then
        local jobs
        jobs="$("${COMP_WORDS[0]}" __complete-jobs 2>/dev/null | cut -f1)"
        COMPREPLY=($(compgen -W "$jobs" -- "$cur"))
        return 0
    fi
    _travis__local "$@"
}
complete -F _travis_local_complete -o bashdefault -o default travis-local
"#;

/// Fish: job numbers with their names as descriptions.
const FISH_JOBS: &str = "complete -c travis-local -n \"__fish_seen_subcommand_from run compile\" -f -a \"(travis-local __complete-jobs 2>/dev/null)\"\n";

pub fn completions(args: &CompletionsArgs, mut cmd: Command) -> i32 {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut out);
    match args.shell {
        Shell::Bash => {
            let opts = value_options(&cmd, &["run", "compile"]).join(" ");
            out.extend_from_slice(BASH_JOBS.replace("@VALUE_OPTS@", &opts).as_bytes())
        }
        Shell::Fish => out.extend_from_slice(FISH_JOBS.as_bytes()),
        _ => {}
    }
    write_stdout(&out)
}

/// The options of these subcommands that take a value (`--branch X`), so that the word
/// after them is not completed as a job.
fn value_options(cmd: &Command, subs: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sub in cmd
        .get_subcommands()
        .filter(|c| subs.contains(&c.get_name()))
    {
        for arg in sub
            .get_arguments()
            .filter(|a| a.get_action().takes_values())
        {
            out.extend(arg.get_long().map(|l| format!("--{l}")));
            out.extend(arg.get_short().map(|c| format!("-{c}")));
        }
    }
    out.sort();
    out.dedup();
    out
}

pub fn man(args: &ManArgs, cmd: Command) -> i32 {
    let Some(dir) = &args.out_dir else {
        let mut out = Vec::new();
        if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
            eprintln!("error: cannot render the man page: {e}");
            return 1;
        }
        return write_stdout(&out);
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return 2;
    }
    let mut pages = vec![(BIN.to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{BIN}-{}", sub.get_name());
        pages.push((name, sub.clone()));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut text = Vec::new();
        let written = clap_mangen::Man::new(page)
            .title(name.as_str())
            .render(&mut text)
            .and_then(|()| std::fs::write(&path, &text));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 1;
        }
        println!("{}", path.display());
    }
    0
}

/// `__complete-jobs`: `NUMBER<TAB>NAME` per job of the build for these facts (quietly
/// nothing when there is no usable config: completion must never print errors).
pub fn jobs(facts: &crate::cli::facts::FactArgs) -> i32 {
    let ws = travis_local_matrix::Workspace::discover();
    let Ok(build) = ws.build(&facts.settings()) else {
        return 0;
    };
    if build.loaded.has_errors {
        return 0;
    }
    let plan = build.plan();
    let mut out = String::new();
    for job in &plan.jobs {
        let name = job.name.as_deref().unwrap_or(&job.stage).trim();
        if name.is_empty() {
            out.push_str(&format!("{}\n", job.number));
        } else {
            let name = name.replace(['\t', '\n'], " ");
            out.push_str(&format!("{}\t{name}\n", job.number));
        }
    }
    write_stdout(out.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            1
        }
    }
}
