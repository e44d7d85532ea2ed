//! `run --debug`: Travis's debug mode, done locally with the Docker executor.
//!
//! On a failed job (`--debug`, i.e. `--debug=failure`), or before the script runs
//! (`--debug=start`), the job's container is kept and an interactive shell is opened in
//! it: as `travis`, in the build directory, with the job's environment and the
//! `travis_run_<phase>` functions of its script defined, so one phase can be re-run
//! (`travis_run_script`). Leaving the shell removes the container (as at the end of any
//! job). Without a terminal (stdin and stdout not both TTYs) the exact `docker exec -it`
//! command to attach is printed instead, and the container is kept until Ctrl-C (or
//! SIGTERM), the job timeout, or until it is removed from outside; then it is removed.
//! Sessions of parallel jobs (`-j N`) take turns.
//!
//! How the shell gets the job: the generated script defines everything (helpers, env
//! exports, `travis_run_*` functions) before its main calls; the rc file
//! (`/home/travis/.travis-debug.rc`, in the job's home on the host, inside the run
//! directory, removed with it) is the script up to its first main call, plus a prompt.
//! It holds no secret (the script holds none). The job's process environment, which
//! does hold the secrets, is written by an exec in the container to
//! `/dev/shm/travis-debug.env` (the container's tmpfs: never on disk; removed with the
//! container) and sourced by the rc file first.

use std::path::Path;

/// `--debug[=WHEN]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugMode {
    /// Open the shell when the job fails (its script exited non-zero)
    Failure,
    /// Open the shell at once, instead of running the script
    Start,
}

/// The rc file, relative to the job's home (`/home/travis` in the container).
pub const RC_NAME: &str = ".travis-debug.rc";
/// The job's environment inside the container (tmpfs).
pub const ENV_FILE: &str = "/dev/shm/travis-debug.env";

/// The rc file's text for a job script: the script up to its first main call.
pub fn rc_text(script: &str, job: &str) -> Option<String> {
    let cut = script
        .match_indices("\ntravis_run_before_install\n")
        .map(|(i, _)| i + 1)
        .next()?;
    let mut rc = String::new();
    rc.push_str(&format!(
        "# travis-local debug shell of job {job} (generated; removed with the run)\n"
    ));
    rc.push_str(&format!(
        "if [ -r {ENV_FILE} ]; then source {ENV_FILE}; fi\n"
    ));
    rc.push_str(&script[..cut]);
    rc.push_str(
        r#"
# In the debug shell a failed assertion or travis_terminate must not close the shell.
travis_terminate() {
  echo -e "${ANSI_YELLOW}travis-local debug: the build would stop here with exit ${1:-0}${ANSI_RESET}"
  return "${1:-0}"
}
PS1='travis-debug:\w\$ '
echo
echo -e "${ANSI_GREEN}travis-local debug shell of job "#,
    );
    rc.push_str(job);
    rc.push_str(
        r#".${ANSI_RESET} Re-run a phase with one of:"
echo "  travis_run_before_install travis_run_install travis_run_before_script travis_run_script"
echo "  travis_run_before_cache travis_run_after_success travis_run_after_failure travis_run_after_script"
echo "Leave with exit (the container is then removed)."
"#,
    );
    Some(rc)
}

/// The command that attaches a shell to a job's container.
pub fn attach_command(container: &str, build_dir: &Path) -> String {
    format!(
        "docker exec -it -u travis -w {} {container} bash --rcfile /home/travis/{RC_NAME} -i",
        build_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc_is_the_script_before_its_main_calls() {
        let script = "#!/bin/bash\nexport A=1\ntravis_run_script() {\n  :\n}\n\ntravis_run_before_install\ntravis_run_install\ntravis_footer\n";
        let rc = rc_text(script, "1.2").expect("rc");
        assert!(
            rc.contains("export A=1\ntravis_run_script() {\n  :\n}\n"),
            "{rc}"
        );
        assert!(!rc.contains("\ntravis_run_before_install\n"), "{rc}");
        assert!(!rc.contains("travis_footer"), "{rc}");
        assert!(rc.starts_with("# travis-local debug shell of job 1.2"));
        assert!(rc.contains(ENV_FILE) && rc.contains("PS1="));
        assert!(rc_text("echo no main\n", "1").is_none());
        assert_eq!(
            attach_command("c", Path::new("/b")),
            "docker exec -it -u travis -w /b c bash --rcfile /home/travis/.travis-debug.rc -i"
        );
    }
}
