//! Which group a process belongs to: the config's rules in order (by name, by command line, by
//! user), then one group per name, as process-exporter's default `{{.Comm}}`. Pure.

use std::sync::Arc;

use super::config::{Matcher, MetricsConfig};
use crate::collect::model::ProcessSample;

/// A process's group: its label and what the group exposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupKey {
    pub name: Arc<str>,
    pub threads: bool,
    pub top_k: usize,
}

/// The config's rules, ready to match.
#[derive(Debug)]
pub struct Grouper {
    config: MetricsConfig,
    /// Each `user` rule's uid when it was given as a number.
    uids: Vec<Option<u32>>,
}

impl Grouper {
    pub fn new(config: MetricsConfig) -> Grouper {
        let uids = config
            .groups
            .iter()
            .map(|g| match &g.matcher {
                Matcher::User(u) => u.parse().ok(),
                _ => None,
            })
            .collect();
        Grouper { config, uids }
    }

    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    /// The group of `p`, or None when no rule matches and by-name groups are off (or it is a
    /// kernel thread and those are off).
    pub fn classify(&self, p: &ProcessSample) -> Option<GroupKey> {
        if p.kernel_thread && !self.config.kernel_threads {
            return None;
        }
        for (rule, uid) in self.config.groups.iter().zip(&self.uids) {
            let hit = match &rule.matcher {
                Matcher::Name(r) => r.is_match(&p.name),
                Matcher::Cmdline(r) => r.is_match(&p.cmdline),
                Matcher::User(u) => &*p.user == u.as_str() || (uid.is_some() && p.uid == *uid),
            };
            if hit {
                return Some(GroupKey { name: rule.name.clone(), threads: rule.threads, top_k: rule.top_k });
            }
        }
        self.config.by_name.then(|| GroupKey {
            name: p.name.clone(),
            threads: self.config.threads,
            top_k: self.config.top_k,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::process;

    fn grouper(text: &str) -> Grouper {
        let v: toml::Table = toml::from_str(text).unwrap();
        Grouper::new(super::super::config::from_value(&v["metrics"]).unwrap())
    }

    #[test]
    fn first_matching_rule_wins_then_by_name() {
        let g = grouper(
            "[metrics]\n[[metrics.groups]]\nname = \"db\"\ncmdline = \"--data-dir\"\nthreads = true\n\
             [[metrics.groups]]\nname = \"shells\"\ncomm = \"^(ba|z)sh$\"\n[[metrics.groups]]\nname = \"alice\"\nuser = \"alice\"\n",
        );
        let mut pg = process(10, 1, "postgres", 0.0, 1);
        pg.cmdline = "/usr/bin/postgres --data-dir /var/lib/pg".into();
        let k = g.classify(&pg).unwrap();
        assert_eq!((&*k.name, k.threads), ("db", true));
        assert_eq!(&*g.classify(&process(11, 1, "bash", 0.0, 1)).unwrap().name, "shells");
        let mut a = process(12, 1, "bashful", 0.0, 1);
        assert_eq!(&*g.classify(&a).unwrap().name, "bashful", "the regex is anchored: a by-name group");
        a.user = "alice".into();
        assert_eq!(&*g.classify(&a).unwrap().name, "alice");
        let mut k = process(2, 0, "kworker/0:1", 0.0, 0);
        k.kernel_thread = true;
        assert_eq!(g.classify(&k), None, "kernel threads are left out by default");
    }

    #[test]
    fn uid_rules_and_no_by_name() {
        let g = grouper("[metrics]\nby_name = false\n[[metrics.groups]]\nuser = 1000\n");
        let mut p = process(10, 1, "x", 0.0, 1);
        assert_eq!(g.classify(&p), None);
        p.uid = Some(1000);
        assert_eq!(&*g.classify(&p).unwrap().name, "user:1000");
    }
}
