//! A task population for the benches: child processes (the bench binary re-executed) each
//! holding parked threads, alive until dropped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

const CHILD_ENV: &str = "THREADTOP_BENCH_CHILD_THREADS";

/// In a population child: holds its threads until stdin closes, then returns true (the bench's
/// main must then return at once).
pub fn is_child() -> bool {
    match std::env::var(CHILD_ENV) {
        Ok(n) => {
            child(n.parse().unwrap_or(1));
            true
        }
        Err(_) => false,
    }
}

/// `PROCSxTHREADS`, e.g. `200x20`.
pub fn parse_pop(s: &str) -> Option<(usize, usize)> {
    let (p, t) = s.split_once('x')?;
    Some((p.parse().ok()?, t.parse().ok()?))
}

/// Child processes that live until dropped.
pub struct Population {
    children: Vec<(Child, usize)>,
}

impl Population {
    pub fn start(procs: usize, threads: usize) -> Self {
        let exe = std::env::current_exe().expect("current_exe");
        let mut children = Vec::with_capacity(procs);
        for _ in 0..procs {
            let mut c = Command::new(&exe)
                .env(CHILD_ENV, threads.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn a bench child");
            // Wait until its threads exist.
            let mut ready = [0u8; 1];
            let _ = c.stdout.as_mut().map(|o| o.read_exact(&mut ready));
            children.push((c, threads));
        }
        Self { children }
    }

    pub fn largest(&self) -> i32 {
        self.children.iter().max_by_key(|(_, t)| *t).map_or(std::process::id() as i32, |(c, _)| c.id() as i32)
    }
}

impl Drop for Population {
    fn drop(&mut self) {
        for (c, _) in &mut self.children {
            // Closing stdin tells the child to exit; kill is the backstop.
            drop(c.stdin.take());
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// In a child: hold `threads` tasks (main included) until stdin closes.
fn child(threads: usize) {
    let parked: Vec<_> = (1..threads)
        .filter_map(|i| {
            std::thread::Builder::new()
                .name(format!("bench-{i}"))
                .stack_size(64 << 10)
                .spawn(|| {
                    loop {
                        std::thread::park();
                    }
                })
                .ok()
        })
        .collect();
    let _ = std::io::stdout().write_all(b"r");
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(parked);
    std::process::exit(0);
}
