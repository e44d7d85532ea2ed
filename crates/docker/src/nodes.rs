//! Job images on the swarm's nodes (`--executor swarm`): before any job is submitted,
//! each job's base image must be in the manager's image store (the Travis layer is
//! built there from it). When it is not, and this machine's own engine
//! (`unix:///var/run/docker.sock`, when that is not the manager already) has it, it is
//! copied over as `docker save | docker load` does, streamed through the Engine API of
//! both engines (`GET /images/{name}/get` → `POST /images/load`), and travis-local
//! says `loaded IMAGE onto node NODE`. With `--pull never` an image on neither is an
//! environment error (exit 4) naming the node; otherwise the manager pulls it (or
//! builds its recipe) as the Docker executor does.
//!
//! Other nodes are not reached: their engines' addresses are not known to the swarm.
//! A worker that lacks the layer rejects the task, and the job fails with an
//! environment error naming that node ([`crate::swarm`]).

use crate::engine::{api_message, env_err, is_not_found};
use crate::images::PullPolicy;
use crate::progress::Progress;
use bollard::query_parameters::ImportImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use travis_local_runner::executor::ExecError;

/// The hostname of the node the engine `docker` runs on (its swarm node, else the
/// engine's own name).
pub async fn this_node(docker: &Docker) -> String {
    let Ok(info) = docker.info().await else {
        return crate::engine::docker_host();
    };
    let node_id = info.swarm.and_then(|s| s.node_id).unwrap_or_default();
    if !node_id.is_empty() {
        if let Ok(node) = docker.inspect_node(&node_id).await {
            if let Some(name) = node.description.and_then(|d| d.hostname) {
                return name;
            }
        }
    }
    info.name.unwrap_or(node_id)
}

/// This machine's engine, when it is not the one `manager` talks to.
async fn local_engine() -> Option<Docker> {
    let default = crate::context::DEFAULT_HOST;
    if crate::engine::docker_host() == default {
        return None;
    }
    let docker = Docker::connect_with_unix(default, 120, bollard::API_DEFAULT_VERSION).ok()?;
    docker.negotiate_version().await.ok()
}

async fn present(docker: &Docker, image: &str) -> Result<bool, ExecError> {
    match docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(env_err(format!(
            "cannot inspect {image}: {}",
            api_message(&e)
        ))),
    }
}

/// Makes `image` present in the manager's store (see the module docs).
pub async fn ensure_on_manager(
    manager: &Docker,
    image: &str,
    pull: PullPolicy,
    progress: &Progress,
) -> Result<(), ExecError> {
    if present(manager, image).await? {
        return Ok(());
    }
    let node = this_node(manager).await;
    if let Some(local) = local_engine().await {
        if present(&local, image).await.unwrap_or(false) {
            progress.set_message(&format!("loading {image} onto node {node}"));
            transfer(&local, manager, image).await.map_err(|e| {
                env_err(format!(
                    "cannot load {image} onto swarm node {node} from this machine's engine: {e}"
                ))
            })?;
            progress.println(&format!("loaded {image} onto node {node}"));
            return Ok(());
        }
    }
    if pull == PullPolicy::Never {
        return Err(env_err(format!(
            "image {image} is not on swarm node {node} (the manager, {}) nor on this machine's engine, and --pull never forbids pulling it; load it onto the node (docker save {image} | docker -H … load) or run without --pull never",
            crate::engine::docker_host()
        )));
    }
    Ok(())
}

/// `docker save IMAGE` on `from` streamed into `docker load` on `to`.
pub async fn transfer(from: &Docker, to: &Docker, image: &str) -> Result<(), String> {
    let saved = from.export_image(image);
    let opts = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut loading = to.import_image_stream(opts, saved, None);
    while let Some(item) = loading.next().await {
        let info = item.map_err(|e| api_message(&e))?;
        if let Some(err) = info.error_detail.and_then(|d| d.message) {
            return Err(err);
        }
    }
    if to.inspect_image(image).await.is_err() {
        return Err(format!("{image} is still absent after the load"));
    }
    Ok(())
}
