//! task/TID/stack: the kernel functions a thread is in, innermost first. Root only (the kernel
//! asks for CAP_SYS_ADMIN), so anyone else gets `NeedsRoot`, never an error to decode.

use std::io;
use std::path::Path;

use crate::model::Pid;
use crate::model::stack::KernelStack;

/// Reads and parses `<proc_root>/PID/task/TID/stack`.
pub fn read(proc_root: &Path, pid: Pid, tid: Pid) -> KernelStack {
    let path = proc_root.join(pid.to_string()).join("task").join(tid.to_string()).join("stack");
    match std::fs::read(&path) {
        Ok(bytes) => KernelStack::Frames(parse(&String::from_utf8_lossy(&bytes))),
        Err(e) => from_error(&e),
    }
}

/// What an error reading the file means for the user.
pub fn from_error(e: &io::Error) -> KernelStack {
    match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM) => KernelStack::NeedsRoot,
        Some(libc::ENOENT | libc::ESRCH) => KernelStack::Gone,
        _ => KernelStack::Unreadable(e.to_string()),
    }
}

/// One frame per line, `[<address>] function+0xoff/0xlen` (the address is 0 unless kptr_restrict
/// allows it): the address is dropped. A line in another shape is kept as it is, trimmed, so a
/// future format still shows; blank lines are skipped.
pub fn parse(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix("[<").and_then(|rest| rest.split_once(">]")) {
            Some((_addr, frame)) => frame.trim().to_owned(),
            None => l.to_owned(),
        })
        .filter(|f| !f.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_lose_their_addresses_and_keep_their_order() {
        let text = "[<0>] hrtimer_nanosleep+0xb5/0x130\n[<0>] common_nsleep+0x44/0x50\n\
                    [<ffffffff810a1e2e>] __x64_sys_clock_nanosleep+0xd0/0x140\n[<0>] do_syscall_64+0x82/0x190\n\
                    [<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";
        assert_eq!(
            parse(text),
            [
                "hrtimer_nanosleep+0xb5/0x130",
                "common_nsleep+0x44/0x50",
                "__x64_sys_clock_nanosleep+0xd0/0x140",
                "do_syscall_64+0x82/0x190",
                "entry_SYSCALL_64_after_hwframe+0x76/0x7e",
            ]
        );
    }

    #[test]
    fn odd_lines_are_kept_and_blank_ones_and_bare_addresses_dropped() {
        assert_eq!(parse("\n  \n[<0>] \nsomething new\n[<0 broken\n"), ["something new", "[<0 broken"]);
        assert!(parse("").is_empty());
    }

    #[test]
    fn errors_say_root_gone_or_why() {
        assert_eq!(from_error(&io::Error::from_raw_os_error(libc::EACCES)), KernelStack::NeedsRoot);
        assert_eq!(from_error(&io::Error::from_raw_os_error(libc::EPERM)), KernelStack::NeedsRoot);
        assert_eq!(from_error(&io::Error::from_raw_os_error(libc::ENOENT)), KernelStack::Gone);
        assert_eq!(from_error(&io::Error::from_raw_os_error(libc::ESRCH)), KernelStack::Gone);
        assert!(matches!(from_error(&io::Error::from_raw_os_error(libc::EIO)), KernelStack::Unreadable(_)));
    }

    #[test]
    fn a_fake_tree_reads_and_a_missing_thread_is_gone() {
        let dir = std::env::temp_dir().join(format!("tt-kstack-{}", std::process::id()));
        let task = dir.join("10").join("task").join("11");
        std::fs::create_dir_all(&task).unwrap();
        std::fs::write(task.join("stack"), "[<0>] futex_do_wait+0x4a/0x80\n").unwrap();
        assert_eq!(read(&dir, 10, 11), KernelStack::Frames(vec!["futex_do_wait+0x4a/0x80".into()]));
        assert_eq!(read(&dir, 10, 12), KernelStack::Gone);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn this_threads_own_stack_reads_as_root_and_says_root_otherwise() {
        let me = std::process::id() as Pid;
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        match read(Path::new("/proc"), me, tid) {
            // Reading its own stack, this thread is in the kernel: in the read itself.
            KernelStack::Frames(f) => assert!(rustix::process::geteuid().is_root() && !f.is_empty(), "{f:?}"),
            KernelStack::NeedsRoot => assert!(!rustix::process::geteuid().is_root()),
            other => panic!("{other:?}"),
        }
    }
}
