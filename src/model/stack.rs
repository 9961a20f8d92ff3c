//! A thread's stack as `inspect` read it, for the stack overlay: the kernel's frames and, for a
//! Python process, the interpreter's. Plain data: `inspect` fills it, the app says it in words.
//! Imports nothing of ours but `Pid`.

use super::Pid;

/// One read of one thread's stacks.
#[derive(Clone, Debug, PartialEq)]
pub struct StackReport {
    pub pid: Pid,
    pub tid: Pid,
    pub kernel: KernelStack,
    /// None: not a Python process (its exe is no python*, and no libpython is mapped).
    pub python: Option<PythonStack>,
}

/// task/TID/stack, innermost frame first.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelStack {
    /// "function+0xoff/0xlen" per frame. Empty while the thread runs in user space.
    Frames(Vec<String>),
    /// The file is readable by root only (CAP_SYS_ADMIN).
    NeedsRoot,
    /// The thread exited before (or while) it was read.
    Gone,
    /// Any other failure (no CONFIG_STACKTRACE, an I/O error), as the OS said it.
    Unreadable(String),
}

/// One Python frame.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyFrame {
    pub function: String,
    /// As the interpreter has it, shortened the way py-spy shortens it (no site-packages prefix).
    pub file: String,
    pub line: i32,
}

/// What py-spy found for this thread.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PythonStack {
    /// The thread's Python frames, innermost first.
    Frames {
        /// "3.12.1".
        version: String,
        owns_gil: bool,
        frames: Vec<PyFrame>,
    },
    /// The interpreter was read, but no Python thread state is this OS thread (it exited, or
    /// it never ran Python code: a C library's thread).
    NoSuchThread { version: String },
    /// The interpreter could not be read: an unsupported version, a binary without the symbols
    /// py-spy needs, no permission (ptrace rights), the process gone. py-spy's words.
    Failed(String),
}
