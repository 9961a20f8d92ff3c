//! README's "A walk through the lab", steps 1 to 3, typed literally in a real terminal, with the
//! result read from /proc (each worker's Cpus_allowed_list) and from the screen.

use std::time::Duration;

use crate::support::{Demos, Tui};

const T: Duration = Duration::from_secs(20);

/// The CPUs a thread may run on, from /proc/PID/task/TID/status ("0-1", "1", "0,2-3").
fn allowed_cpus(pid: i32, tid: i32) -> Option<Vec<u32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim().to_string();
    let mut out = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<u32>().ok()?..=b.parse::<u32>().ok()?),
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

/// The worker threads (cpu-N) of a process: (TID, name).
fn workers(pid: i32) -> Vec<(i32, String)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut out: Vec<(i32, String)> = dir
        .flatten()
        .filter_map(|e| {
            let tid: i32 = e.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).ok()?;
            let name = name.trim_end().to_string();
            name.starts_with("cpu-").then_some((tid, name))
        })
        .collect();
    out.sort();
    out
}

/// "cores in use 1.98 of 2" on the screen: the figure.
fn cores_in_use(screen: &str) -> Option<f64> {
    let at = screen.find("cores in use ")? + "cores in use ".len();
    screen[at..].split_whitespace().next()?.parse().ok()
}

/// The demo process of this threadtop with that name (not another test's).
fn pid_of(demos: &Demos, name: &str) -> Option<i32> {
    demos.alive().into_iter().find(|(_, n)| n == name).map(|(p, _)| p)
}

#[test]
fn readme_walk_through_steps_1_to_3_pin_the_whole_process() {
    let _serial = crate::support::serial();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if cores < 2 {
        panic!("the walk-through unticks one core and needs two; this machine has {cores}");
    }
    let mut tui = Tui::start(&["--interval", "500ms"], &[], 160, 45);
    let demos = Demos::watch(tui.pid());
    tui.wait_for("COMMAND", T);

    // 1. `d`, `+` twice, Enter, `d` back to the list: tt-cpu-threads selected.
    tui.send(b"d");
    tui.wait_for("> cpu-threads", T);
    tui.send(b"+");
    tui.send(b"+");
    tui.send(b"\r");
    tui.send(b"d");
    tui.wait_selected("tt-cpu-threads", T);
    let pid = pid_of(&demos, "tt-cpu-threads").expect("tt-cpu-threads runs");
    assert!(tui.wait_until(T, |_| workers(pid).len() == cores + 2), "N = cores + 2 workers: {:?}", workers(pid));

    // 2. Enter: its threads.
    tui.send(b"\r");
    tui.wait_for("cpu-0", T);
    // Before pinning the workers use more than the cores that will be left to them, or the fall
    // below would prove nothing. A machine too busy for that fails here and says so.
    let left_cores = (cores - 1) as f64;
    let spread = tui.wait_until(T, |s| cores_in_use(s).is_some_and(|c| c > left_cores + 0.3));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    assert!(
        spread,
        "cores in use never passed {left_cores} + 0.3 before pinning (load {load}); screen:\n{}",
        tui.screen()
    );

    // 3. `a`, Space, Enter: the whole process leaves core 0.
    tui.send(b"a");
    tui.wait_for("all its threads", T);
    tui.send(b" ");
    tui.send(b"\r");
    let pinned =
        |pid: i32| workers(pid).iter().all(|(tid, _)| allowed_cpus(pid, *tid).is_some_and(|c| !c.contains(&0)));
    assert!(tui.wait_until(T, |_| pinned(pid)), "workers still allowed core 0: {:?}", {
        workers(pid).iter().map(|(t, n)| (n.clone(), allowed_cpus(pid, *t))).collect::<Vec<_>>()
    });
    for (tid, name) in workers(pid) {
        let allowed = allowed_cpus(pid, tid).unwrap_or_default();
        assert_eq!(allowed, (1..cores as u32).collect::<Vec<_>>(), "{name} ({tid})");
    }
    // Cores in use falls to what is left: one core fewer.
    let fell = tui.wait_until(T, |s| cores_in_use(s).is_some_and(|c| c <= left_cores + 0.1));
    assert!(fell, "cores in use did not fall after pinning; screen:\n{}", tui.screen());

    // `x` stops the demo; nothing is left.
    tui.send(b"x");
    tui.wait_for("cpu-threads #1 stopped", T);
    let left = demos.left_after(T);
    assert!(left.is_empty(), "left behind: {left:?}");
    tui.send(b"q");
    assert_eq!(tui.wait_exit(T).exit_code(), 0);
    assert!(tui.terminal_restored());
}
