//! The `[metrics]` table of the config file: how processes form groups, which groups get
//! per-thread-name series and top-K PIDs, and whether command lines may become labels. Parsed from
//! the TOML value `config.rs` hands over; no I/O.

use std::sync::Arc;

use regex::Regex;

/// Most PIDs a group may expose with `top_k`, whatever the config says: each is a series, and
/// PIDs are unbounded (Prometheus's naming guide warns against per-PID labels).
pub const TOP_K_CAP: usize = 20;

/// Most groups and most thread names per group a scrape carries: a guard against a machine with
/// thousands of distinct process names, not a limit anyone should meet.
pub const MAX_GROUPS: usize = 2_000;
pub const MAX_THREAD_NAMES: usize = 500;

/// What a rule matches a process by.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// The process's name (comm, as the COMMAND column shows it without arguments), by regex.
    Name(Regex),
    /// The whole command line, arguments joined by spaces, by regex.
    Cmdline(Regex),
    /// The user name (or the uid as a number).
    User(String),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Matcher::Name(a), Matcher::Name(b)) | (Matcher::Cmdline(a), Matcher::Cmdline(b)) => {
                a.as_str() == b.as_str()
            }
            (Matcher::User(a), Matcher::User(b)) => a == b,
            _ => false,
        }
    }
}

/// One `[[metrics.groups]]` entry; the first rule that matches a process wins.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRule {
    /// The `groupname` label.
    pub name: Arc<str>,
    pub matcher: Matcher,
    /// Per-thread-name series for this group (process-exporter's `-threads`).
    pub threads: bool,
    /// Expose the K busiest PIDs of the group (capped at `TOP_K_CAP`); 0: none.
    pub top_k: usize,
}

/// The metrics settings, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsConfig {
    pub groups: Vec<GroupRule>,
    /// Processes no rule matches form one group per name (the default, as process-exporter's
    /// `{{.Comm}}`); false leaves them out.
    pub by_name: bool,
    /// Per-thread-name series for the by-name groups.
    pub threads: bool,
    /// top_k for the by-name groups.
    pub top_k: usize,
    /// Kernel threads form groups too (off: hundreds of kworker names).
    pub kernel_threads: bool,
    /// A top-K PID's series carries its command line as a label. Off by default: command lines
    /// can hold secrets and are unbounded.
    pub cmdline_labels: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            groups: Vec::new(),
            by_name: true,
            threads: false,
            top_k: 0,
            kernel_threads: false,
            cmdline_labels: false,
        }
    }
}

impl MetricsConfig {
    /// Whether any group asks for thread series.
    pub fn wants_threads(&self) -> bool {
        self.groups.iter().any(|g| g.threads) || (self.by_name && self.threads)
    }
}

fn top_k(v: &toml::Value, key: &str) -> Result<usize, String> {
    let n = v.as_integer().and_then(|n| usize::try_from(n).ok());
    match n {
        Some(n) if n <= TOP_K_CAP => Ok(n),
        _ => Err(format!("metrics: {key} {v} must be 0 to {TOP_K_CAP}")),
    }
}

fn boolean(v: &toml::Value, key: &str) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| format!("metrics: {key} must be true or false, not {v}"))
}

fn regex(v: &toml::Value, key: &str) -> Result<Regex, String> {
    let s = v.as_str().ok_or_else(|| format!("metrics: {key} must be a string (a regex)"))?;
    Regex::new(s).map_err(|e| format!("metrics: {key} {s:?} is not a valid regex: {e}"))
}

/// Validates the `[metrics]` table; an error names the key at fault.
pub fn from_value(v: &toml::Value) -> Result<MetricsConfig, String> {
    let table = v.as_table().ok_or("metrics must be a table ([metrics])")?;
    let mut cfg = MetricsConfig::default();
    for (key, v) in table {
        match key.as_str() {
            "by_name" => cfg.by_name = boolean(v, key)?,
            "threads" => cfg.threads = boolean(v, key)?,
            "kernel_threads" => cfg.kernel_threads = boolean(v, key)?,
            "cmdline_labels" => cfg.cmdline_labels = boolean(v, key)?,
            "top_k" => cfg.top_k = top_k(v, key)?,
            "groups" => {
                let list = v.as_array().ok_or("metrics.groups must be a list of tables ([[metrics.groups]])")?;
                for (i, g) in list.iter().enumerate() {
                    cfg.groups.push(rule(g, i)?);
                }
            }
            other => {
                return Err(format!(
                    "unknown metrics key '{other}'; use by_name, threads, top_k, kernel_threads, cmdline_labels, groups"
                ));
            }
        }
    }
    Ok(cfg)
}

fn rule(v: &toml::Value, i: usize) -> Result<GroupRule, String> {
    let t = v.as_table().ok_or_else(|| format!("metrics.groups[{i}] must be a table"))?;
    let (mut name, mut matcher, mut threads, mut k) = (None, None, false, 0);
    for (key, v) in t {
        let set = |m: &mut Option<Matcher>, new: Matcher| {
            if m.is_some() {
                return Err(format!("metrics.groups[{i}]: give one of comm, cmdline, user"));
            }
            *m = Some(new);
            Ok(())
        };
        match key.as_str() {
            "name" => name = Some(v.as_str().ok_or_else(|| format!("metrics.groups[{i}].name must be a string"))?),
            "comm" => set(&mut matcher, Matcher::Name(regex(v, "comm")?))?,
            "cmdline" => set(&mut matcher, Matcher::Cmdline(regex(v, "cmdline")?))?,
            "user" => {
                let u = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(n) => n.to_string(),
                    _ => return Err(format!("metrics.groups[{i}].user must be a name or a uid")),
                };
                set(&mut matcher, Matcher::User(u))?;
            }
            "threads" => threads = boolean(v, "threads")?,
            "top_k" => k = top_k(v, "top_k")?,
            other => {
                return Err(format!(
                    "metrics.groups[{i}]: unknown key '{other}'; use name, comm, cmdline, user, threads, top_k"
                ));
            }
        }
    }
    let matcher = matcher.ok_or_else(|| format!("metrics.groups[{i}]: give one of comm, cmdline, user"))?;
    let name = match name {
        Some(n) if !n.is_empty() => n.to_string(),
        Some(_) => return Err(format!("metrics.groups[{i}].name is empty")),
        None => match &matcher {
            Matcher::Name(r) | Matcher::Cmdline(r) => r.as_str().to_string(),
            Matcher::User(u) => format!("user:{u}"),
        },
    };
    Ok(GroupRule { name: Arc::from(name), matcher, threads, top_k: k })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<MetricsConfig, String> {
        let v: toml::Table = toml::from_str(text).unwrap();
        from_value(&v["metrics"])
    }

    #[test]
    fn rules_parse_and_default_names() {
        let c = parse(
            "[metrics]\nthreads = true\n[[metrics.groups]]\nname = \"web\"\ncmdline = \"nginx|httpd\"\nthreads = true\ntop_k = 3\n\
             [[metrics.groups]]\nuser = 1000\n[[metrics.groups]]\ncomm = \"^post\"\n",
        )
        .unwrap();
        assert_eq!(c.groups.len(), 3);
        assert_eq!((&*c.groups[0].name, c.groups[0].threads, c.groups[0].top_k), ("web", true, 3));
        assert_eq!(&*c.groups[1].name, "user:1000");
        assert_eq!(&*c.groups[2].name, "^post");
        assert!(c.by_name && c.threads && c.wants_threads());
    }

    #[test]
    fn bad_tables_are_refused_with_the_key() {
        for (text, needle) in [
            ("[metrics]\ntop_k = 21\n", "top_k"),
            ("[metrics]\ntop_k = -1\n", "top_k"),
            ("[metrics]\nbogus = 1\n", "bogus"),
            ("[[metrics.groups]]\ncomm = \"(\"\n", "regex"),
            ("[[metrics.groups]]\nname = \"x\"\n", "one of"),
            ("[[metrics.groups]]\ncomm = \"a\"\nuser = \"b\"\n", "one of"),
            ("[[metrics.groups]]\ncomm = \"a\"\nthreads = 1\n", "threads"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
