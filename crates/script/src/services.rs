//! The job's `services:`: one table and one parser, used by the script compiler (which
//! starts them with the init system) and by the executors (the Docker executor mounts
//! the engine's socket for `docker`).

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
        other => other,
    }
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
}
