//! `travis-local completions SHELL`, `man` and the hidden `__complete-jobs`, through the
//! real binary: every script is produced, the bash one passes `bash -n` and completes the
//! job numbers of the build in the current repository.

mod common;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");

fn out(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("travis-local runs")
}

#[test]
fn every_shell_gets_a_script_and_bash_parses_it() {
    let here = std::env::temp_dir();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = out(&["completions", shell], &here);
        assert_eq!(o.status.code(), Some(0), "{shell}: {o:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("travis-local"), "{shell}");
        assert!(
            text.contains("compile") && text.contains("executor"),
            "{shell}"
        );
    }
    let o = out(&["completions", "bash"], &here);
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("c.bash");
    std::fs::write(&script, &o.stdout).expect("write");
    let st = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("bash");
    assert!(st.success(), "bash -n rejects the completion script");
    let bad = out(&["completions", "tcsh"], &here);
    assert_eq!(bad.status.code(), Some(2), "unknown shell is a usage error");
}

#[test]
fn bash_completes_job_numbers_for_run_and_compile() {
    let repo = common::committed_repo(
        "language: minimal\nenv: [A=1, A=2]\njobs:\n  include:\n    - name: lint\n      script: true\nscript: true\n",
        &[],
    );
    let o = out(&["__complete-jobs"], repo.path());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "1.1\n1.2\n1.3\tlint\n",
        "{o:?}"
    );
    let script = repo.path().join("c.bash");
    std::fs::write(&script, out(&["completions", "bash"], repo.path()).stdout).expect("write");
    for (words, expect) in [
        ("travis-local run ''", "1.1 1.2 1.3"),
        ("travis-local compile 1.", "1.1 1.2 1.3"),
        ("travis-local run --keep 1.3", "1.3"),
        ("travis-local run -j 2 1.", "1.1 1.2 1.3"),
    ] {
        let probe = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             COMP_WORDS[0]={BIN}; _travis_local_complete; echo \"${{COMPREPLY[*]}}\"",
            script.display()
        );
        let o = Command::new("bash")
            .args(["-c", &probe])
            .current_dir(repo.path())
            .output()
            .expect("bash");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            expect,
            "{words}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Outside a repository: no candidates and no error output.
    let empty = tempfile::tempdir().expect("tempdir");
    let o = out(&["__complete-jobs"], empty.path());
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "{o:?}"
    );
}

#[test]
fn man_pages_are_generated_from_the_cli() {
    let here = std::env::temp_dir();
    let o = out(&["man"], &here);
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains(".TH travis-local 1"), "{page}");
    assert!(page.contains("completions"), "subcommands are listed");
    let dir = tempfile::tempdir().expect("tempdir");
    let o = out(
        &["man", "--out-dir", &dir.path().display().to_string()],
        &here,
    );
    assert!(o.status.success(), "{o:?}");
    for name in [
        "travis-local",
        "travis-local-run",
        "travis-local-lint",
        "travis-local-man",
    ] {
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(text.contains(&format!(".TH {name} 1")), "{name}");
    }
    assert!(!dir.path().join("travis-local-__complete-jobs.1").exists());
}
