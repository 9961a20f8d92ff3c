//! Helper processes that are not demos (the python probe, the I/O experiment's tasks) follow
//! the demos' rule: they die with threadtop. Imports nothing of ours.

use std::io;

/// PR_SET_PDEATHSIG(SIGKILL) in the child before exec, checked against our PID: a helper
/// process must not outlive threadtop. Spawn from the thread that lives as long as threadtop.
pub(crate) fn arm_pdeathsig(cmd: &mut tokio::process::Command) {
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the forked child before exec and makes only raw system calls
    // (prctl, getppid), which are async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            if rustix::process::getppid() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
