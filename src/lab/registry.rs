//! Which processes the lab may signal, and how: the demos' direct children, while unreaped (so
//! that their PID, and with it their process group's, cannot have been reused), by process
//! group, and never PID 0, 1 or threadtop itself. Shared by the supervisor and its demo tasks,
//! which signal only through a `Kill` they are given (tests give a recorder).
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

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

    /// SIGKILL to every demo's unreaped children (their groups): for a supervisor that ends.
    pub(super) fn kill_everything(&self, kill: Kill) {
        for t in self.demos.values() {
            for (pid, reaped) in &t.children {
                if !reaped {
                    kill.group_of(*pid, Signal::KILL);
                }
            }
        }
    }
}

type KillFn = fn(rustix::process::Pid, Signal) -> rustix::io::Result<()>;

/// How the lab sends a signal: `kill(2)` in threadtop (`Kill::SYSTEM`); in tests, a recorder,
/// so that they check whom a signal would have gone to without sending any.
#[derive(Clone, Copy)]
pub(super) struct Kill {
    /// To a process group (`kill(-pgid, sig)`).
    pub(super) group: KillFn,
    /// To one process, for a child whose group is gone.
    pub(super) process: KillFn,
}

impl Kill {
    pub(super) const SYSTEM: Kill =
        Kill { group: rustix::process::kill_process_group, process: rustix::process::kill_process };

    /// Sends `signal` to the process group led by our child `pid`, which also reaches anything
    /// it forked. Never to PID 0 or 1 or ourselves: `kill(-1)` would address every process, and
    /// our own group holds the terminal's shell (or cargo).
    pub(super) fn group_of(self, pid: Pid, signal: Signal) {
        if pid <= 1 {
            return;
        }
        let Some(target) = rustix::process::Pid::from_raw(pid) else {
            return;
        };
        if target == rustix::process::getpid() {
            return;
        }
        if (self.group)(target, signal).is_err() {
            let _ = (self.process)(target, signal);
        }
    }

    /// Sends `signal` to our child `pid` alone (lifecycle's SIGSTOP and SIGCONT), with the
    /// same refusals as `group_of`.
    pub(super) fn process_of(self, pid: Pid, signal: Signal) {
        if pid <= 1 {
            return;
        }
        let Some(target) = rustix::process::Pid::from_raw(pid) else {
            return;
        };
        if target != rustix::process::getpid() {
            let _ = (self.process)(target, signal);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
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

    /// A recorder, as `Kill` takes plain fns: each test thread keeps its own calls.
    mod record {
        use super::*;
        use std::cell::RefCell;

        thread_local! {
            pub static CALLS: RefCell<Vec<(&'static str, Pid, Signal)>> = const { RefCell::new(Vec::new()) };
        }

        fn push(to: &'static str, pid: rustix::process::Pid, signal: Signal) {
            CALLS.with(|c| c.borrow_mut().push((to, pid.as_raw_nonzero().get(), signal)));
        }

        pub fn group(pid: rustix::process::Pid, signal: Signal) -> rustix::io::Result<()> {
            push("group", pid, signal);
            Ok(())
        }

        /// A group that is gone (its leader exited, a child of it lives on).
        pub fn no_group(pid: rustix::process::Pid, signal: Signal) -> rustix::io::Result<()> {
            push("group", pid, signal);
            Err(rustix::io::Errno::SRCH)
        }

        pub fn process(pid: rustix::process::Pid, signal: Signal) -> rustix::io::Result<()> {
            push("process", pid, signal);
            Ok(())
        }

        pub fn take() -> Vec<(&'static str, Pid, Signal)> {
            CALLS.with(|c| std::mem::take(&mut *c.borrow_mut()))
        }
    }

    pub(in crate::lab) const RECORD: Kill = Kill { group: record::group, process: record::process };
    pub(in crate::lab) use record::take as recorded;

    #[test]
    fn a_group_signal_never_addresses_everyone_nor_us() {
        let me = rustix::process::getpid().as_raw_pid();
        // kill(0), kill(-1) (all processes), kill(-our own group), and a negative PID.
        for pid in [0, 1, -1, -4242, me] {
            RECORD.group_of(pid, Signal::TERM);
        }
        assert_eq!(recorded(), []);
        RECORD.group_of(4242, Signal::TERM);
        assert_eq!(recorded(), [("group", 4242, Signal::TERM)]);
    }

    #[test]
    fn a_process_signal_goes_to_that_child_only() {
        let me = rustix::process::getpid().as_raw_pid();
        for pid in [0, 1, -1, -4242, me] {
            RECORD.process_of(pid, Signal::STOP);
        }
        assert_eq!(recorded(), []);
        RECORD.process_of(4242, Signal::STOP);
        assert_eq!(recorded(), [("process", 4242, Signal::STOP)]);
    }

    #[test]
    fn a_child_whose_group_is_gone_is_signalled_alone() {
        let kill = Kill { group: record::no_group, process: record::process };
        kill.group_of(4242, Signal::KILL);
        assert_eq!(recorded(), [("group", 4242, Signal::KILL), ("process", 4242, Signal::KILL)]);
    }

    #[test]
    fn killing_everything_spares_the_reaped_and_the_grandchildren() {
        let mut r = Registry::default();
        // 101 was reaped: its PID may belong to a stranger now. 201 is a zombie demo's child: its
        // parent's group signal reaches it.
        r.demos.insert(1, Tracked { children: vec![(100, false), (101, true)], others: vec![] });
        r.demos.insert(2, Tracked { children: vec![(200, false)], others: vec![201] });
        r.kill_everything(RECORD);
        let mut calls = recorded();
        calls.sort_by_key(|c| c.1);
        assert_eq!(calls, [("group", 100, Signal::KILL), ("group", 200, Signal::KILL)]);
    }
}
