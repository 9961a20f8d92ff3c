//! `threadtop-pyspy`: the helper that reads CPython for threadtop through py-spy, in a process
//! of its own so that py-spy's code is not in the monitor's (`inspect::python` says why). Started
//! by threadtop, one run per stack read and one per focused Python process for GIL%.

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    threadtop::inspect::pyspy::helper_main(&args)
}
