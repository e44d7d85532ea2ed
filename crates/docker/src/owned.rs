//! What travis-local owns on the engine, and how it is found again: the labels and
//! names it gives containers and compose projects, the owner label that ties them to a
//! travis-local process, the run's state-file records (for `clean` after a crash), and
//! listing/removing compose leftovers. The executor creates through these; `clean`
//! finds and removes through them, so neither depends on the other.

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use bollard::Docker;
use std::collections::{BTreeSet, HashMap};

/// Label carrying the run id on everything travis-local creates.
pub const LABEL_RUN: &str = "travis-local.run";
/// Label carrying the job number.
pub const LABEL_JOB: &str = "travis-local.job";
/// Host and pid of the travis-local process that owns the container (`clean` spares
/// containers whose process is still alive).
pub const LABEL_OWNER: &str = "travis-local.owner";
/// Compose v1 label of a project's containers, networks and volumes.
pub const LABEL_COMPOSE: &str = "com.docker.compose.project";
/// Prefix of container names and compose project names (`travis-local clean` uses it).
pub const NAME_PREFIX: &str = "travis-local-";
/// Lower-case, `[a-z0-9-]` only (valid for container names and compose v1 projects).
pub fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-').to_string();
    if t.is_empty() {
        "x".into()
    } else {
        t
    }
}

/// Container name (also the compose project name) of a job.
pub fn job_name(run_id: &str, number: &str) -> String {
    format!("{NAME_PREFIX}{}-{}", sanitize(run_id), sanitize(number))
}

/// Notes a container in the run's state file (for `travis-local clean` after a crash);
/// recorded before it is created, so a crash in between leaves nothing unrecorded.
pub fn remember_container(name: &str) {
    travis_local_runner::state::update(|s| {
        if !s.containers.iter().any(|c| c == name) {
            s.containers.push(name.to_string());
        }
    });
}

pub fn forget_container(name: &str) {
    travis_local_runner::state::update(|s| s.containers.retain(|c| c != name));
}

pub fn remember_project(name: &str) {
    travis_local_runner::state::update(|s| {
        if !s.compose_projects.iter().any(|c| c == name) {
            s.compose_projects.push(name.to_string());
        }
    });
}

pub fn forget_project(name: &str) {
    travis_local_runner::state::update(|s| s.compose_projects.retain(|c| c != name));
}

/// (id or name, labels) of the containers, networks and volumes carrying `label`
/// (`KEY` or `KEY=VALUE`); an engine error gives an empty list for that kind.
struct Labelled {
    containers: Vec<(String, HashMap<String, String>)>,
    networks: Vec<(String, HashMap<String, String>)>,
    volumes: Vec<(String, HashMap<String, String>)>,
}

async fn labelled(docker: &Docker, label: &str) -> Labelled {
    let filter = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filter)
                .build(),
        ))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| Some((c.id?, c.labels.unwrap_or_default())))
        .collect();
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| Some((n.id?, n.labels.unwrap_or_default())))
        .collect();
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ))
        .await
        .map(|l| l.volumes.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .map(|v| (v.name, v.labels))
        .collect();
    Labelled {
        containers,
        networks,
        volumes,
    }
}

/// Names of compose projects that have containers, networks or volumes (any state).
pub async fn compose_projects(docker: &Docker) -> BTreeSet<String> {
    let found = labelled(docker, LABEL_COMPOSE).await;
    found
        .containers
        .iter()
        .chain(&found.networks)
        .chain(&found.volumes)
        .filter_map(|(_, labels)| labels.get(LABEL_COMPOSE).cloned())
        .collect()
}

/// Removes what a compose project left behind (containers, networks, volumes).
pub async fn remove_compose_project(docker: &Docker, project: &str) {
    let found = labelled(docker, &format!("{LABEL_COMPOSE}={project}")).await;
    for (id, _) in &found.containers {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        let _ = docker.remove_container(id, Some(opts)).await;
    }
    for (id, _) in &found.networks {
        let _ = docker.remove_network(id).await;
    }
    for (name, _) in &found.volumes {
        let opts = RemoveVolumeOptionsBuilder::default().force(true).build();
        let _ = docker.remove_volume(name, Some(opts)).await;
    }
}

/// `<hostname>:<pid>` of this process.
pub fn owner_label() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Is the owner (from [`owner_label`]) a travis-local process still running here?
pub fn owner_alive(owner: &str) -> bool {
    let Some((host, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    if host != hostname() {
        return false;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
        .map(|c| c.contains("travis-local"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_liveness() {
        let label = owner_label();
        assert!(label.ends_with(&format!(":{}", std::process::id())));
        assert!(!owner_alive("no-such-host-xyz:1"));
        assert!(!owner_alive(&format!("{}:4294967295", hostname())));
        assert!(!owner_alive("garbage"));
    }
}
