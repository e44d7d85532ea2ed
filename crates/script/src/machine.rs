//! The job's machine: `addons:` and `services:` as compiled steps, in travis-build's
//! order (its addon hooks around the builtin phases):
//!
//! | travis-build phase | here |
//! |---|---|
//! | `before_configure` | `apt.config.retries` (apt's retry settings) |
//! | `before_prepare` | `apt` (`sources`, `update`, `packages`, `apt_packages`), `snaps` |
//! | `prepare` | `services` |
//! | `after_prepare` | `hosts`, `hostname`, `postgresql`, `mariadb`, `chrome`, `firefox` |
//! | `before_checkout` | `ssh_known_hosts` |
//! | `before_before_install` | `homebrew` (osx only: never on linux, as on Travis) |
//!
//! Each function returns the script lines of its step; the compiler places them. What
//! cannot be provided in the job's machine (a PPA, a vendor download, snapd) is one
//! clear line in the job log, and the step then fails exactly where Travis's would.

use crate::quote::{sq, word};
use crate::services;
use serde_json::{Map, Value};

/// What the compiled script may change on the machine it runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub start_services: bool,
    pub apply_addons: bool,
}

/// Lines and compile notices produced by one step.
#[derive(Default)]
pub(crate) struct Step {
    pub lines: Vec<String>,
    pub notices: Vec<String>,
}

impl Step {
    fn push(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }
    fn yellow(&mut self, text: &str) {
        self.push(format!(
            "echo -e \"${{ANSI_YELLOW}}\"{}\"${{ANSI_RESET}}\"",
            sq(text)
        ));
    }
    fn red(&mut self, text: &str) {
        self.push(format!(
            "echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"",
            sq(text)
        ));
    }
    fn cmd(&mut self, command: &str, flags: &str) {
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" {flags}")
        };
        self.push(format!("travis_cmd {}{flags}", sq(command)));
    }
}

/// Addons travis-local knows (the rest are reported as not applied).
const KNOWN: &[&str] = &[
    "apt",
    "apt_packages",
    "hosts",
    "hostname",
    "ssh_known_hosts",
    "postgresql",
    "mariadb",
    "chrome",
    "firefox",
    "snaps",
    "homebrew",
    "deploy",
];

/// Travis's dists for the apt and snaps addons (they are skipped on others).
const APT_DISTS: &[&str] = &[
    "precise", "trusty", "xenial", "bionic", "focal", "jammy", "noble",
];
const SNAP_DISTS: &[&str] = &["xenial", "bionic", "focal", "jammy", "noble"];

fn addons(config: &Value) -> Option<&Map<String, Value>> {
    config.get("addons").and_then(Value::as_object)
}

fn os(config: &Value) -> String {
    config
        .get("os")
        .and_then(Value::as_str)
        .unwrap_or("linux")
        .to_string()
}

fn dist_ok(config: &Value, dists: &[&str]) -> bool {
    match config.get("dist").and_then(Value::as_str) {
        None => true,
        Some(d) => dists.contains(&d),
    }
}

/// A scalar or list of scalars as strings.
fn strings(v: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .flat_map(|x| match x {
                Value::Array(inner) => inner.iter().filter_map(one).collect::<Vec<_>>(),
                other => one(other).into_iter().collect(),
            })
            .collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn scalar(v: Option<&Value>) -> Option<String> {
    strings(v).into_iter().next()
}

fn refused(step: &mut Step, addon: &str, what: &str) {
    step.yellow(&format!(
        "travis-local: addons.{addon} not applied: it would {what} on this host; run with --apply-addons to allow it (or use the Docker executor)"
    ));
}

/// Compile notices for addons travis-local does not apply (unknown or other tools').
pub(crate) fn unknown_addon_notices(config: &Value) -> Vec<String> {
    let Some(a) = addons(config) else {
        return Vec::new();
    };
    a.keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .map(|k| format!("addons.{k} is not applied by travis-local; install what it provides in before_install if the job needs it"))
        .collect()
}

/// The script's helper functions for addons and services, when any step needs them.
pub(crate) fn helpers(config: &Value, policy: Policy) -> Option<&'static str> {
    let any_addon = addons(config).is_some_and(|a| a.keys().any(|k| k != "deploy"));
    let any_service = !services::names(config).is_empty();
    ((any_addon && policy.apply_addons) || (any_service && policy.start_services))
        .then_some(include_str!("machine.bash"))
}

/// `before_configure`: apt's `config.retries`.
pub(crate) fn configure(config: &Value, policy: Policy) -> Step {
    let mut step = Step::default();
    let Some(apt) = addons(config).and_then(|a| a.get("apt")) else {
        return step;
    };
    let retries = apt
        .get("config")
        .and_then(|c| c.get("retries"))
        .is_some_and(|r| !matches!(r, Value::Bool(false) | Value::Null));
    if !retries || !os(config).starts_with("linux") || !policy.apply_addons {
        return step;
    }
    step.yellow("Configuring default apt-get retries");
    step.push("if [[ -d ${TRAVIS_ROOT}/var/lib/apt/lists && -n $(command -v apt-get) ]]; then");
    step.push("  printf 'Acquire {\\n  ForceIPv4 \"1\";\\n  Retries \"5\";\\n  https {\\n    Timeout \"30\";\\n  };\\n};\\n' > \"${TRAVIS_TMPDIR}/99-travis-build-retries\"");
    step.push("  travis_cmd 'sudo mv ${TRAVIS_TMPDIR}/99-travis-build-retries ${TRAVIS_ROOT}/etc/apt/apt.conf.d'");
    step.push("fi");
    step
}

/// `before_prepare`: the apt addon (with the `apt_packages` alias) and snaps.
pub(crate) fn before_prepare(config: &Value, policy: Policy) -> Step {
    let mut step = Step::default();
    let Some(a) = addons(config) else {
        return step;
    };
    let linux = os(config).starts_with("linux");
    // apt: a list is the packages; a mapping has packages/sources/update/config.
    let apt = a.get("apt");
    let mut packages = match apt {
        Some(Value::Object(m)) => strings(m.get("packages")),
        Some(v @ (Value::Array(_) | Value::String(_))) => strings(Some(v)),
        _ => Vec::new(),
    };
    packages.extend(strings(a.get("apt_packages")));
    let sources: Vec<Value> = match apt.and_then(|v| v.get("sources")) {
        Some(Value::Array(s)) => s.clone(),
        Some(v @ (Value::String(_) | Value::Object(_))) => vec![v.clone()],
        _ => Vec::new(),
    };
    let update = apt
        .and_then(|v| v.get("update"))
        .is_some_and(|u| matches!(u, Value::Bool(true)) || u.as_str() == Some("true"));
    let wants_apt = apt.is_some() || a.contains_key("apt_packages");
    if wants_apt && linux && !dist_ok(config, APT_DISTS) {
        step.notices.push(
            "addons.apt is skipped on this dist, as on Travis (apt runs on precise … noble)".into(),
        );
    } else if wants_apt && linux && !(packages.is_empty() && sources.is_empty() && !update) {
        if !policy.apply_addons {
            refused(&mut step, "apt", "install packages as root");
        } else {
            apt_steps(&mut step, &packages, &sources, update);
        }
    }
    // snaps
    let snaps: Vec<&Value> = match a.get("snaps") {
        Some(Value::Array(s)) => s.iter().collect(),
        Some(v @ (Value::String(_) | Value::Object(_))) => vec![v],
        _ => Vec::new(),
    };
    if !snaps.is_empty() && linux && dist_ok(config, SNAP_DISTS) {
        if !policy.apply_addons {
            refused(&mut step, "snaps", "install snaps as root");
        } else {
            step.push("travis_fold start snap");
            step.yellow(&format!("Installing {} Snaps", snaps.len()));
            step.push("if ! command -v snap >/dev/null 2>&1; then");
            step.push("  echo -e \"${ANSI_RED}travis-local: snaps cannot be installed here: the job's machine has no snapd (a container cannot run it); 'snap install' fails and the job errors, as on Travis when it fails.${ANSI_RESET}\"");
            step.push("fi");
            step.cmd("sudo snap install core", "--assert --echo --timing");
            for s in snaps {
                let arg = match s {
                    Value::String(name) => word(name),
                    Value::Object(m) => {
                        let mut parts = vec![word(&scalar(m.get("name")).unwrap_or_default())];
                        let classic = matches!(m.get("classic"), Some(Value::Bool(true)));
                        let conf = scalar(m.get("confinement"))
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        if classic || conf.contains("classic") {
                            parts.push("--classic".into());
                        } else if conf.contains("devmode") {
                            parts.push("--devmode".into());
                        }
                        if let Some(ch) = scalar(m.get("channel")).filter(|c| !c.is_empty()) {
                            parts.push(format!("--channel={}", word(&ch.to_ascii_lowercase())));
                        }
                        parts.join(" ")
                    }
                    _ => continue,
                };
                step.cmd(
                    &format!("sudo snap install {arg}"),
                    "--assert --echo --timing",
                );
            }
            step.cmd("sudo snap list", "--assert --echo --timing");
            step.push("travis_fold end snap");
        }
    }
    step
}

fn apt_steps(step: &mut Step, packages: &[String], sources: &[Value], update: bool) {
    step.push("travis_fold start apt");
    if !sources.is_empty() {
        step.yellow("Adding APT Sources");
        for src in sources {
            match src {
                Value::String(alias) => step.red(&format!(
                    "travis-local: APT source alias '{alias}' cannot be resolved: Travis's source alias list is fetched from its servers and is not available here. Disallowing sources: {alias}"
                )),
                Value::Object(m) => {
                    let Some(line) = scalar(m.get("sourceline")) else {
                        step.yellow("'sourceline' key missing:");
                        step.push(format!("echo {}", sq(&src.to_string())));
                        continue;
                    };
                    if line.starts_with("ppa:") {
                        step.push("if ! command -v apt-add-repository >/dev/null 2>&1; then");
                        step.push(format!(
                            "  echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"",
                            sq(&format!("travis-local: the PPA {line} cannot be added here (PPAs are Ubuntu's, on launchpad.net, and apt-add-repository is missing); the step fails and the job errors, as on Travis when it fails."))
                        ));
                        step.push("fi");
                        step.cmd(
                            &format!("sudo -E apt-add-repository -y {}", dq(&line)),
                            "--assert --echo --timing",
                        );
                    } else {
                        if let Some(key) = scalar(m.get("key_url")) {
                            step.cmd(
                                &format!("curl -sSL {} | sudo -E apt-key add -", dq(&key)),
                                "--assert --echo --timing",
                            );
                        }
                        step.cmd(
                            &format!(
                                "echo {} | sudo tee -a ${{TRAVIS_ROOT}}/etc/apt/sources.list >/dev/null",
                                dq(&line)
                            ),
                            "--assert --echo --timing",
                        );
                    }
                }
                _ => {}
            }
        }
    }
    if update || !sources.is_empty() || !packages.is_empty() {
        step.cmd("travis_apt_get_update", "--retry --echo --timing");
    }
    if !packages.is_empty() {
        step.yellow("Installing APT Packages");
        let list = packages
            .iter()
            .map(|p| word(p))
            .collect::<Vec<_>>()
            .join(" ");
        if packages.iter().any(|p| p.starts_with("postgresql")) {
            step.push("sudo service postgresql stop &>/dev/null || :");
        }
        let command = format!(
            "sudo -E apt-get -yq --no-install-suggests --no-install-recommends $(travis_apt_get_options) install {list}"
        );
        step.cmd(&command, "--echo --timing");
        step.push("result=$?");
        step.push("if [[ $result -ne 0 ]]; then");
        step.push("  travis_fold start apt-get.diagnostics");
        step.push("  echo -e \"${ANSI_RED}apt-get install failed${ANSI_RESET}\"");
        step.push("  travis_cmd 'cat ${TRAVIS_HOME}/apt-get-update.log' --echo");
        step.push("  travis_fold end apt-get.diagnostics");
        step.push(format!("  TRAVIS_CMD={}", sq(&command)));
        step.push("  travis_assert $result");
        step.push("fi");
    }
    step.push("travis_fold end apt");
}

/// Double-quote for bash like Ruby's `String#inspect` in travis-build, but with `$`,
/// `` ` ``, `\` and `"` escaped so config text stays data.
fn dq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One `travis_local_service` call for a table entry.
fn service_call(display: &str, s: &services::Service) -> String {
    format!(
        "travis_local_service {} {} {} {} {} {} {} {} {}",
        word(display),
        sq(s.present),
        sq(&s.packages.join(" ")),
        sq(s.unavailable),
        sq(s.configure),
        sq(s.start),
        sq(s.ready),
        s.wait_seconds,
        sq(s.setup)
    )
}

/// `prepare`: the `services` fold.
pub(crate) fn services(config: &Value, policy: Policy) -> Step {
    let mut step = Step::default();
    let list = services::names(config);
    if list.is_empty() {
        return step;
    }
    step.push("travis_fold start services");
    if !policy.start_services {
        step.yellow(&format!(
            "travis-local: services are not started on this host (pass --start-services to start them): {}",
            list.join(", ")
        ));
        step.push("travis_fold end services");
        return step;
    }
    if policy.apply_addons {
        step.push("__TL_INSTALL_SERVICES=1");
    }
    let pg_addon = addons(config).is_some_and(|a| a.contains_key("postgresql"));
    // One apt-get run for every missing daemon (each service then finds it installed).
    let known: Vec<&services::Service> = list
        .iter()
        .filter_map(|n| services::lookup(n))
        .filter(|s| !s.packages.is_empty())
        .collect();
    if policy.apply_addons && known.len() > 1 {
        let mut call = String::from("travis_local_preinstall");
        let mut listed: Vec<&str> = Vec::new();
        for s in known {
            if !listed.contains(&s.names[0]) {
                listed.push(s.names[0]);
                call.push_str(&format!(" {} {}", sq(s.present), sq(&s.packages.join(" "))));
            }
        }
        step.push(call);
    }
    let mut seen: Vec<&str> = Vec::new();
    for name in &list {
        if name == "docker" {
            step.push("if docker info >/dev/null 2>&1; then");
            step.push("  echo 'travis-local: docker is the Docker engine reachable from the job (docker info answers; in a container, the host engine'\\''s socket)'");
            step.push("else");
            step.push("  echo -e \"${ANSI_RED}travis-local: service docker cannot be started: no Docker engine is reachable from the job. The job goes on without it.${ANSI_RESET}\"");
            step.push("fi");
            continue;
        }
        match services::lookup(name) {
            Some(s) => {
                // Travis skips the service when the postgresql addon starts its version.
                if s.names[0] == "postgresql" && pg_addon {
                    continue;
                }
                if seen.contains(&s.names[0]) {
                    continue;
                }
                seen.push(s.names[0]);
                step.push(service_call(name, s));
                if let Some((var, value)) = s.export {
                    step.cmd(&format!("export {var}={value}"), "--echo");
                }
            }
            None => {
                let init = services::init_name(name);
                step.notices.push(format!(
                    "services: `{name}` is not a service travis-local knows; the job tries its init script (/etc/init.d/{init}) as Travis does"
                ));
                step.push(format!("if [[ -x /etc/init.d/{} ]]; then", word(init)));
                step.push(format!(
                    "  travis_cmd {} --echo --timing",
                    sq(&format!("sudo service {} start", word(init)))
                ));
                step.push("else");
                step.push(format!(
                    "  echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"",
                    sq(&format!("travis-local: service {name} cannot be started: travis-local does not know it and the image has no /etc/init.d/{init}. The job goes on without it."))
                ));
                step.push("fi");
            }
        }
    }
    step.push("travis_fold end services");
    step
}

/// `after_prepare`: hosts, hostname, postgresql, mariadb, chrome, firefox.
pub(crate) fn after_prepare(config: &Value, policy: Policy) -> Step {
    let mut step = Step::default();
    let Some(a) = addons(config) else {
        return step;
    };
    addon_hosts(&mut step, a, policy);
    addon_hostname(&mut step, a, policy);
    addon_postgresql(&mut step, a, config, policy);
    addon_mariadb(&mut step, a, policy);
    addon_chrome(&mut step, a, policy);
    addon_firefox(&mut step, a);
    step
}

/// `hosts`: names added to the 127.0.0.1 line of /etc/hosts.
fn addon_hosts(step: &mut Step, a: &Map<String, Value>, policy: Policy) {
    let hosts = strings(a.get("hosts"));
    if !hosts.is_empty() {
        if !policy.apply_addons {
            refused(step, "hosts", "edit /etc/hosts");
        } else {
            let names = sq(&hosts.join(" "));
            step.push("travis_fold start hosts.before");
            step.push("echo");
            step.cmd("cat /etc/hosts", "");
            step.push("echo");
            step.push("travis_fold end hosts.before");
            step.push("travis_fold start hosts");
            step.push(format!("__tl_hosts={names}"));
            step.cmd(
                "sed -e \"s/^\\(127\\.0\\.0\\.1.*\\)$/\\1 ${__tl_hosts}/\" /etc/hosts > /tmp/hosts",
                "",
            );
            step.cmd("cat /tmp/hosts | sudo tee /etc/hosts > /dev/null", "");
            step.push("travis_fold end hosts");
            step.push("travis_fold start hosts.after");
            step.push("echo");
            step.cmd("cat /etc/hosts", "");
            step.push("echo");
            step.push("travis_fold end hosts.after");
        }
    }
}

/// `hostname`: `sudo hostname` (a container may refuse it; the job goes on).
fn addon_hostname(step: &mut Step, a: &Map<String, Value>, policy: Policy) {
    if let Some(h) = scalar(a.get("hostname")).filter(|h| !h.is_empty()) {
        if !policy.apply_addons {
            refused(step, "hostname", "change the hostname");
        } else {
            step.yellow(&format!("Set hostname to {h}"));
            step.push(format!(
                "travis_cmd {} --echo || echo -e \"${{ANSI_YELLOW}}travis-local: the hostname cannot be changed in this machine (a container needs CAP_SYS_ADMIN for it); the job goes on, as on Travis when this step fails${{ANSI_RESET}}\"",
                sq(&format!("sudo hostname {}", word(&h)))
            ));
        }
    }
}

/// `postgresql`: start that version (the image's when it is missing).
fn addon_postgresql(step: &mut Step, a: &Map<String, Value>, config: &Value, policy: Policy) {
    let linux = os(config).starts_with("linux");
    if let Some(v) = a.get("postgresql").filter(|v| !v.is_null()) {
        let version = scalar(Some(v)).unwrap_or_default();
        if !linux {
            step.red(&format!(
                "Addon PostgreSQL is not supported on {}",
                os(config)
            ));
        } else if !policy.start_services && !policy.apply_addons {
            refused(step, "postgresql", "start PostgreSQL as root");
        } else if let Some(s) = services::lookup("postgresql") {
            if policy.apply_addons {
                step.push("__TL_INSTALL_SERVICES=1");
            }
            step.push("travis_fold start postgresql");
            step.push(format!(
                "echo -e \"${{ANSI_YELLOW}}Starting PostgreSQL v\"{}\"${{ANSI_CLEAR}}\"",
                sq(&version)
            ));
            step.push(format!(
                "export PATH=\"/usr/lib/postgresql/\"{}\"/bin:$PATH\"",
                sq(&version)
            ));
            step.push(service_call("postgresql", s));
            step.push(format!(
                "if ! compgen -G /usr/lib/postgresql/{}/bin/postgres >/dev/null; then",
                word(&version)
            ));
            step.push(format!(
                "  echo -e \"${{ANSI_YELLOW}}travis-local: PostgreSQL \"{}\" is not available here (Travis's images have it preinstalled; this image's archive has $(ls /usr/lib/postgresql 2>/dev/null | tr '\\n' ' ')); the version above is used instead${{ANSI_RESET}}\"",
                sq(&version)
            ));
            step.push("fi");
            step.push("travis_fold end postgresql");
        }
    }
}

/// `mariadb`: the image archive's mariadb-server, started.
fn addon_mariadb(step: &mut Step, a: &Map<String, Value>, policy: Policy) {
    if let Some(v) = scalar(a.get("mariadb")).filter(|v| !v.is_empty()) {
        if !policy.start_services && !policy.apply_addons {
            refused(step, "mariadb", "install and start MariaDB as root");
        } else if let Some(s) = services::lookup("mariadb") {
            if policy.apply_addons {
                step.push("__TL_INSTALL_SERVICES=1");
            }
            step.push("travis_fold start mariadb");
            step.yellow(&format!("Installing MariaDB version {v}"));
            step.yellow(&format!("travis-local: archive.mariadb.org is not reachable here; MariaDB {v} is replaced by the image archive's mariadb-server"));
            step.yellow(&format!("Starting MariaDB v{v}"));
            step.push(service_call("mariadb", s));
            step.push(format!("export TRAVIS_MARIADB_VERSION={}", sq(&v)));
            step.cmd("mysql --version", "--echo");
            step.push("travis_fold end mariadb");
        }
    }
}

/// `chrome`: Google Chrome stable or beta, downloaded and installed.
fn addon_chrome(step: &mut Step, a: &Map<String, Value>, policy: Policy) {
    if let Some(v) = a.get("chrome").filter(|v| !v.is_null()) {
        let raw = scalar(Some(v)).unwrap_or_default();
        let raw = raw.trim();
        if !policy.apply_addons {
            refused(step, "chrome", "install Google Chrome as root");
        } else {
            step.push("travis_fold start install_chrome");
            if !matches!(raw, "stable" | "beta") {
                step.red(&format!("Invalid version '{raw}' given."));
            } else {
                let url = format!(
                    "https://dl.google.com/dl/linux/direct/google-chrome-{raw}_current_amd64.deb"
                );
                step.push(format!("export CHROME_SOURCE_URL={url}"));
                step.yellow(&format!("Installing Google Chrome {raw}"));
                step.push(format!(
                    "if travis_cmd {} --echo --timing --retry; then",
                    sq("wget --no-verbose -O /tmp/$(basename $CHROME_SOURCE_URL) $CHROME_SOURCE_URL")
                ));
                step.push("  travis_cmd 'sudo apt -qq update && sudo apt-get install /tmp/$(basename $CHROME_SOURCE_URL)'");
                step.push("else");
                step.push("  echo -e \"${ANSI_YELLOW}travis-local: Google Chrome cannot be downloaded here (dl.google.com is not reachable, or wget is missing); the job goes on without it, as on Travis when this step fails${ANSI_RESET}\"");
                step.push("fi");
            }
            step.push("travis_fold end install_chrome");
        }
    }
}

/// `firefox`: a Firefox release unpacked under `$TRAVIS_HOME`.
fn addon_firefox(step: &mut Step, a: &Map<String, Value>) {
    if let Some(v) = a.get("firefox").filter(|v| !v.is_null()) {
        let raw = scalar(Some(v)).unwrap_or_default();
        let raw = raw.trim().to_string();
        let latest = [
            "latest",
            "latest-beta",
            "latest-dev",
            "latest-esr",
            "latest-nightly",
        ];
        let valid = latest.contains(&raw.as_str())
            || (!raw.is_empty()
                && raw
                    .trim_end_matches("esr")
                    .split('b')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.')));
        if !valid {
            step.red(&format!(
                "Invalid version '{raw}' given. Skipping Firefox installation."
            ));
        } else {
            let product = match raw.as_str() {
                "latest" => "firefox-latest".to_string(),
                "latest-beta" => "firefox-beta-latest".into(),
                "latest-esr" => "firefox-esr-latest".into(),
                "latest-dev" => "firefox-devedition-latest".into(),
                "latest-nightly" => "firefox-nightly-latest".into(),
                v => format!("firefox-{v}"),
            };
            step.push("travis_fold start install_firefox");
            step.yellow(&format!("Installing Firefox {raw}"));
            step.push(format!(
                "export FIREFOX_SOURCE_URL='https://download.mozilla.org/?product={product}&lang=en-US&os=linux64'"
            ));
            let dir = format!("${{TRAVIS_HOME}}/firefox-{raw}");
            step.push(format!("mkdir -p \"{dir}\" && pushd \"{dir}\" >/dev/null"));
            step.push(format!(
                "if travis_cmd {} --echo --timing --retry; then",
                sq(&format!(
                    "wget --no-verbose -O /tmp/firefox-{raw}.tar.bz2 $FIREFOX_SOURCE_URL"
                ))
            ));
            step.push(format!(
                "  travis_cmd {}",
                sq(&format!("tar xf /tmp/firefox-{raw}.tar.bz2"))
            ));
            step.push(format!("  export PATH=\"{dir}/firefox:$PATH\""));
            step.push("else");
            step.push("  echo -e \"${ANSI_YELLOW}travis-local: Firefox cannot be downloaded here (download.mozilla.org is not reachable, or wget is missing); the job goes on without it, as on Travis when this step fails${ANSI_RESET}\"");
            step.push("fi");
            step.push("popd >/dev/null");
            step.push("travis_fold end install_firefox");
            step.cmd("firefox --version", "--echo");
        }
    }
}

/// `before_checkout`: ssh_known_hosts (writes only `~/.ssh/known_hosts`, so it is applied
/// on the host executor too).
pub(crate) fn before_checkout(config: &Value) -> Step {
    let mut step = Step::default();
    let Some(a) = addons(config) else {
        return step;
    };
    let hosts = strings(a.get("ssh_known_hosts"));
    if hosts.is_empty() {
        return step;
    }
    step.push("travis_fold start ssh_known_hosts.0");
    step.yellow("Adding ssh known hosts");
    step.push("mkdir -p \"${TRAVIS_HOME}/.ssh\"");
    for h in hosts {
        let (host, port) = match h.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                (host.to_string(), Some(port.to_string()))
            }
            _ => (h.clone(), None),
        };
        let host = host.rsplit('@').next().unwrap_or_default().to_string();
        if host.is_empty() || host.contains(['/', ' ', '?', '#']) {
            step.red(&format!("Skipping malformed host {h:?}"));
            continue;
        }
        step.push("TRAVIS_SSH_KEY_TYPES='rsa,dsa,ecdsa'");
        let mut cmd = String::from("ssh-keyscan -t $TRAVIS_SSH_KEY_TYPES");
        if let Some(p) = port {
            cmd.push_str(&format!(" -p {p}"));
        }
        cmd.push_str(&format!(" -H {}", word(&host)));
        step.cmd(
            &format!("{cmd} 2>&1 | tee -a ${{TRAVIS_HOME}}/.ssh/known_hosts"),
            "--echo --timing",
        );
    }
    step.push("travis_fold end ssh_known_hosts.0");
    step
}

/// `before_before_install`: homebrew runs on osx only; on linux Travis skips it.
pub(crate) fn before_install(config: &Value) -> Step {
    let mut step = Step::default();
    if addons(config).is_some_and(|a| a.contains_key("homebrew")) && os(config) != "osx" {
        step.notices.push(
            "addons.homebrew applies only to os: osx; it is skipped on linux, as on Travis".into(),
        );
    }
    step
}
