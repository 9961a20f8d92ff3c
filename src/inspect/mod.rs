//! Reading a process's stacks: the kernel's (`kernel_stack`, task/TID/stack) and CPython's
//! through py-spy (`python`: one thread's stack on demand, and the GIL sampler of the threads
//! view, both asked of the `threadtop-pyspy` helper, whose side is `pyspy`). Only for the
//! process the user is looking at, and only while they look: nothing here runs for the process
//! list. Imports `model` and `collect::model` (plain data) of ours; no app, ui, lab, runtime,
//! input, commands, control, ratatui, crossterm or tokio.

pub mod kernel_stack;
pub mod pyspy;
pub mod python;

use std::path::Path;

use crate::model::Pid;
use crate::model::stack::StackReport;

/// `tid`'s kernel stack and, in a Python process, its Python stack. Blocking (py-spy reads the
/// interpreter's symbols first): the runtime calls it off the input path.
pub fn read_stack(proc_root: &Path, pid: Pid, tid: Pid) -> StackReport {
    let kernel = kernel_stack::read(proc_root, pid, tid);
    // py-spy reads the live /proc itself: under a fake tree (tests) there is nothing to read.
    let live = proc_root == Path::new("/proc");
    let python = (live && python::detect(proc_root, pid)).then(|| python::stack_of(pid, tid));
    StackReport { pid, tid, kernel, python }
}
