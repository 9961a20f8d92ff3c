//! Which processes the lab may signal: the demos' direct children, while unreaped (so that their
//! PID, and with it their process group's, cannot have been reused), by process group, and never
//! PID 0, 1 or threadtop itself. Shared by the supervisor and its demo tasks.

use std::collections::HashMap;

use rustix::process::Signal;

use crate::collect::model::Pid;
use crate::model::demo::DemoId;

/// What the supervisor and its tasks share: the live demos' processes.
#[derive(Debug, Default)]
pub(super) struct Registry {
    pub(super) demos: HashMap<DemoId, Tracked>,
}

#[derive(Debug, Default)]
pub(super) struct Tracked {
    /// Direct children, and whether each has been reaped.
    pub(super) children: Vec<(Pid, bool)>,
    /// Processes the children started (zombie children): for `owner_of` only.
    pub(super) others: Vec<Pid>,
}

impl Registry {
    pub(super) fn owner_of(&self, pid: Pid) -> Option<DemoId> {
        self.demos.iter().find_map(|(id, t)| {
            let own = t.children.iter().any(|(p, _)| *p == pid) || t.others.contains(&pid);
            own.then_some(*id)
        })
    }

    pub(super) fn mark_reaped(&mut self, id: DemoId, pid: Pid) {
        if let Some(t) = self.demos.get_mut(&id) {
            for (p, reaped) in &mut t.children {
                if *p == pid {
                    *reaped = true;
                }
            }
        }
    }

    pub(super) fn kill_everything(&self) {
        for t in self.demos.values() {
            for (pid, reaped) in &t.children {
                if !reaped {
                    signal_group(*pid, Signal::KILL);
                }
            }
        }
    }
}

/// Sends `signal` to the process group led by our child `pid`, which also reaches anything it
/// forked. Never to PID 0 or 1 or ourselves: `kill(-1)` would address every process.
pub(super) fn signal_group(pid: Pid, signal: Signal) {
    if pid <= 1 {
        return;
    }
    let Some(target) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    if target == rustix::process::getpid() {
        return;
    }
    if rustix::process::kill_process_group(target, signal).is_err() {
        let _ = rustix::process::kill_process(target, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_owner_and_kill_targets() {
        let mut r = Registry::default();
        r.demos.insert(1, Tracked { children: vec![(100, false), (101, false)], others: vec![] });
        r.demos.insert(2, Tracked { children: vec![(200, false)], others: vec![201] });
        assert_eq!(r.owner_of(101), Some(1));
        assert_eq!(r.owner_of(201), Some(2));
        assert_eq!(r.owner_of(300), None);
        r.mark_reaped(1, 101);
        assert_eq!(r.demos[&1].children, vec![(100, false), (101, true)]);
        // A reaped child still belongs to its demo until the demo ends.
        assert_eq!(r.owner_of(101), Some(1));
    }

    #[test]
    fn signal_group_never_addresses_everyone() {
        // These would be kill(0)/kill(-1)/our own group: each must be a no-op, and the test
        // surviving proves it.
        signal_group(0, Signal::TERM);
        signal_group(1, Signal::CONT);
        signal_group(-1, Signal::CONT);
        signal_group(rustix::process::getpid().as_raw_pid(), Signal::CONT);
    }
}
