//! Images built on demand from a recipe in `.travis-local/config.yml`, through the real
//! binary: a missing image with a Dockerfile recipe (`FROM travis-local/bookworm:ci`, so
//! the build is quick) is refused under `--pull never` (exit 4, naming the recipe's
//! line and column), built once by the next `run` (which says so and how long it took),
//! reused by the run after that, and reported present by `image build`. Each test uses
//! its own image name and removes the image and its Travis layer at the end.
//!
//! Needs a Docker engine and `travis-local/bookworm:ci` (scripts/images.sh); without
//! them the test prints a notice and passes, except under CI=true where it fails.

mod common;

use std::process::{Command, Stdio};

const BASE: &str = "travis-local/bookworm:ci";

fn docker_ready(test: &str) -> bool {
    common::docker_image_ready(test, BASE)
}

fn image_id(name: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", name])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Removes the image and the Travis layers built on it, whatever the test did.
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let layers = Command::new("docker")
            .args([
                "images",
                "-q",
                "--filter",
                &format!("label=travis-local.base={}", self.0),
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for id in layers.split_whitespace() {
            let _ = Command::new("docker")
                .args(["rmi", "-f", id])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn missing_image_with_a_recipe_is_built_once_then_reused() {
    if !docker_ready("missing_image_with_a_recipe_is_built_once_then_reused") {
        return;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("tl-test/ondemand-{}-{nanos}:1", std::process::id());
    let _cleanup = RemoveImage(name.clone());
    let config = format!(
        "network: host\nimages:\n  default:\n    name: {name}\n    dockerfile: ci/Dockerfile\n"
    );
    let dockerfile = format!("FROM {BASE}\nLABEL travis-local.test=ondemand\n");
    let dir = common::committed_repo(
        "language: minimal\nscript: echo ran-in-recipe-image\n",
        &[
            (".travis-local/config.yml", config.as_str()),
            ("ci/Dockerfile", dockerfile.as_str()),
        ],
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--executor", "docker"];
        args.extend_from_slice(extra);
        common::run_bin(dir.path(), &args, &[])
    };

    // --pull never forbids building it: exit 4, naming the recipe's place.
    let r = run(&["--pull", "never"]);
    r.exit(4);
    assert!(
        r.stderr.contains(&format!(
            "image {name} is not present locally, and --pull never forbids building it from its recipe"
        )) && r.stderr.contains(".travis-local/config.yml:4:5 (images.default)"),
        "{}",
        r.dump()
    );
    assert!(image_id(&name).is_none(), "--pull never built it");

    // The first run builds it, saying so once, with the time taken.
    let r = run(&[]);
    r.exit(0).contains("ran-in-recipe-image");
    assert_eq!(
        r.stderr.matches("building it from its recipe").count(),
        1,
        "{}",
        r.dump()
    );
    assert!(
        r.stderr.contains(&format!(
            "{name} is not present locally and cannot be pulled"
        )) && r.stderr.contains(&format!("built {name} in ")),
        "{}",
        r.dump()
    );
    let id = image_id(&name).expect("the recipe's image exists");

    // The second one reuses it.
    let r = run(&[]);
    r.exit(0).contains("ran-in-recipe-image");
    assert!(
        !r.stderr.contains("recipe") && !r.stderr.contains(&format!("built {name}")),
        "rebuilt:\n{}",
        r.dump()
    );
    assert_eq!(image_id(&name).as_deref(), Some(id.as_str()), "same image");

    // `image build` sees it present; an image without a recipe is a usage error.
    let r = common::run_bin(dir.path(), &["image", "build", &name], &[]);
    r.exit(0);
    assert!(
        r.stderr.contains(&format!("{name} is present")),
        "{}",
        r.dump()
    );
    let r = common::run_bin(dir.path(), &["image", "build", "no/such:image"], &[]);
    r.exit(2);
    assert!(
        r.stderr.contains("no/such:image has no recipe") && r.stderr.contains(&name),
        "{}",
        r.dump()
    );
}
