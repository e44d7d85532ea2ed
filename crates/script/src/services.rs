//! The job's `services:`: one table and one parser, used by the script compiler (which
//! starts them inside the job's machine, installing a missing daemon with the image's
//! package manager) and by the executors (the Docker executor mounts the engine's socket
//! for `docker`).

use serde_json::Value;

/// The service names of a job config's `services:` (a string or a list), trimmed,
/// lower-cased, with empty entries dropped, in order.
pub fn names(config: &Value) -> Vec<String> {
    let clean = |s: &str| {
        let s = s.trim().to_ascii_lowercase();
        (!s.is_empty()).then_some(s)
    };
    match config.get("services") {
        Some(Value::String(s)) => clean(s).into_iter().collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(clean)
            .collect(),
        _ => Vec::new(),
    }
}

/// The init-system name of a service, following Travis's mapping (travis-build,
/// `appliances/services.rb`): `redis` is started as `redis-server`, and so on.
pub fn init_name(name: &str) -> &str {
    match name {
        "hbase" => "hbase-master",
        "memcache" => "memcached",
        "neo4j-server" => "neo4j",
        "rabbitmq" => "rabbitmq-server",
        "redis" => "redis-server",
        "mongodb" => "mongod",
        "mariadb" => "mysql",
        other => other,
    }
}

/// How travis-local provides one service inside the job's machine (no systemd there):
/// the daemon is installed with apt-get when `present` fails, started with `start`
/// (as root), and the job waits until `ready` succeeds. Every command is bash run by the
/// compiled script; `setup` runs once the service is ready (Travis's users and defaults).
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Travis's name(s) of the service in `services:`.
    pub names: &'static [&'static str],
    /// Test that the daemon is installed.
    pub present: &'static str,
    /// Debian packages providing it; empty when the Debian archive has none.
    pub packages: &'static [&'static str],
    /// Why it cannot be installed when `packages` is empty.
    pub unavailable: &'static str,
    /// Run as root before starting (configuration Travis's images have).
    pub configure: &'static str,
    /// Start command, run as root.
    pub start: &'static str,
    /// Readiness test, retried until it succeeds or `wait_seconds` pass.
    pub ready: &'static str,
    pub wait_seconds: u32,
    /// Run after it is ready (Travis's default users), as root.
    pub setup: &'static str,
    /// Exported after the start (`DISPLAY` for xvfb).
    pub export: Option<(&'static str, &'static str)>,
}

/// A TCP port accepting connections on localhost.
macro_rules! port_open {
    ($p:literal) => {
        concat!("(exec 3<>/dev/tcp/127.0.0.1/", $p, ") 2>/dev/null")
    };
}

/// The services travis-local knows, with Travis's defaults: PostgreSQL user `postgres`
/// without password plus a `travis` superuser and database; MySQL/MariaDB `root` without
/// password plus user `travis`; default ports.
pub const SERVICES: &[Service] = &[
    Service {
        names: &["postgresql"],
        present: "compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null",
        packages: &["postgresql"],
        unavailable: "",
        configure: "for f in /etc/postgresql/*/main/pg_hba.conf; do printf 'local all all trust\\nhost all all 127.0.0.1/32 trust\\nhost all all ::1/128 trust\\n' > \"$f\"; done",
        start: "service postgresql start",
        ready: "pg_isready -q -h 127.0.0.1",
        wait_seconds: 30,
        setup: "createuser -U postgres -h 127.0.0.1 -s travis 2>/dev/null; createdb -U postgres -h 127.0.0.1 -O travis travis 2>/dev/null; true",
        export: None,
    },
    Service {
        names: &["mysql", "mariadb"],
        present: "[ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]",
        packages: &["mariadb-server"],
        unavailable: "",
        configure: "",
        start: "service mariadb start 2>/dev/null || service mysql start",
        ready: "mysqladmin ping >/dev/null 2>&1",
        wait_seconds: 30,
        setup: "mysql -e \"ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; CREATE USER IF NOT EXISTS 'travis'@'localhost'; CREATE USER IF NOT EXISTS 'travis'@'%'; GRANT ALL ON *.* TO 'travis'@'localhost'; GRANT ALL ON *.* TO 'travis'@'%'; FLUSH PRIVILEGES;\"",
        export: None,
    },
    Service {
        names: &["redis", "redis-server"],
        present: "[ -x /usr/bin/redis-server ]",
        packages: &["redis-server"],
        unavailable: "",
        configure: "",
        start: "service redis-server start",
        ready: "redis-cli ping >/dev/null 2>&1",
        wait_seconds: 15,
        setup: "",
        export: None,
    },
    Service {
        names: &["memcached", "memcache"],
        present: "[ -x /usr/bin/memcached ]",
        packages: &["memcached"],
        unavailable: "",
        configure: "",
        start: "service memcached start",
        ready: port_open!("11211"),
        wait_seconds: 15,
        setup: "",
        export: None,
    },
    Service {
        names: &["rabbitmq", "rabbitmq-server"],
        present: "[ -x /usr/sbin/rabbitmq-server ]",
        packages: &["rabbitmq-server"],
        unavailable: "",
        configure: "",
        start: "service rabbitmq-server start",
        ready: port_open!("5672"),
        wait_seconds: 60,
        setup: "",
        export: None,
    },
    Service {
        names: &["mongodb", "mongod"],
        present: "command -v mongod >/dev/null",
        packages: &[],
        unavailable: "MongoDB is not in Debian's archive and its own repository (repo.mongodb.org) is not reachable from here; use an image that has mongod",
        configure: "mkdir -p /var/lib/mongodb /var/log/mongodb",
        start: "service mongod start 2>/dev/null || mongod --fork --bind_ip 127.0.0.1 --dbpath /var/lib/mongodb --logpath /var/log/mongodb/mongod.log",
        ready: port_open!("27017"),
        wait_seconds: 30,
        setup: "",
        export: None,
    },
    Service {
        names: &["elasticsearch"],
        present: "[ -x /usr/share/elasticsearch/bin/elasticsearch ]",
        packages: &[],
        unavailable: "Elasticsearch is not in Debian's archive and Elastic's repository is not reachable from here; use an image that has it",
        configure: "",
        start: "service elasticsearch start",
        ready: port_open!("9200"),
        wait_seconds: 60,
        setup: "",
        export: None,
    },
    Service {
        names: &["xvfb"],
        present: "command -v Xvfb >/dev/null",
        packages: &["xvfb"],
        unavailable: "",
        configure: "",
        start: "(Xvfb :99 -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &)",
        ready: "[ -e /tmp/.X11-unix/X99 ]",
        wait_seconds: 15,
        setup: "",
        export: Some(("DISPLAY", ":99.0")),
    },
];

/// The table entry of a `services:` name (`redis`, `mysql`, …), if travis-local knows it.
/// `docker` is not in the table: the executor provides it.
pub fn lookup(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.names.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_from_a_string_or_a_list() {
        assert_eq!(names(&json!({"services": "Docker "})), vec!["docker"]);
        assert_eq!(
            names(&json!({"services": ["Docker", " redis", "", "  ", 3]})),
            vec!["docker", "redis"]
        );
        assert!(names(&json!({"services": ""})).is_empty());
        assert!(names(&json!({})).is_empty());
    }

    #[test]
    fn travis_init_names() {
        assert_eq!(init_name("redis"), "redis-server");
        assert_eq!(init_name("mongodb"), "mongod");
        assert_eq!(init_name("postgresql"), "postgresql");
    }

    #[test]
    fn table_covers_travis_services() {
        for name in [
            "postgresql",
            "mysql",
            "mariadb",
            "redis",
            "mongodb",
            "rabbitmq",
            "memcached",
            "elasticsearch",
            "xvfb",
        ] {
            let s = lookup(name).unwrap_or_else(|| panic!("{name}"));
            assert!(s.packages.is_empty() != s.unavailable.is_empty(), "{name}");
        }
        assert!(lookup("docker").is_none());
        assert!(lookup("cassandra").is_none());
    }
}
