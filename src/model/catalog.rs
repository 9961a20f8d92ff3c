//! The demo kinds as the user meets them: a one-line summary, a short lesson pointing at what to
//! watch on screen, default sizes, the names their processes and threads take, and the caps a
//! launch is checked against. Plain data and pure checks: no I/O, no UI.

use std::ops::RangeInclusive;
use std::time::Duration;

use super::demo::{DemoKind, DemoResult, DemoSpec, Phase};

/// Threads one demo may start (cpu-threads, io-threads, lock-threads).
pub const MAX_THREADS: u32 = 256;
/// Processes one demo may start (cpu-procs; zombie counts its parent too).
pub const MAX_PROCESSES: u32 = 64;
/// Demos running at once in one supervisor: every kind of the catalogue (17) fits, which the
/// SIGKILL torture test needs, with a few to spare.
pub const MAX_CONCURRENT: usize = 20;
/// The longest a demo may run.
pub const MAX_DURATION: Duration = Duration::from_secs(600);
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);
/// spawn-cost creates its K threads and K processes one at a time, so at most one extra thread
/// and one extra process exist at any moment: K is bounded by run time, not by the caps above.
pub const MAX_SPAWN_K: u32 = 10_000;
pub const DEFAULT_SPAWN_K: u32 = 200;

/// memory: the size B of each buffer.
pub const MEMORY_BUFFER_MIB: u64 = 64;
/// memory: B × N may not exceed this (the own and written steps hold N buffers at once).
pub const MEMORY_MAX_TOTAL_MIB: u64 = 512;
/// race: how many times each thread adds 1, per way of counting.
pub const RACE_INCREMENTS: u64 = 10_000_000;
/// race: a mutex handed between hundreds of threads a million times each takes minutes.
pub const RACE_MAX_THREADS: u32 = 64;
/// real-io: its server starts one thread per connection, and a thread per worker.
pub const REAL_IO_MAX_THREADS: u32 = 64;
/// real-io: what its loopback server waits before it answers a request.
pub const REAL_IO_DELAY_MS: u64 = 100;
/// real-io: operations per thread (each a fsync'd write, then a request).
pub const REAL_IO_OPS_PER_THREAD: u64 = 2;
/// real-io: the bytes of each write.
pub const REAL_IO_WRITE_BYTES: u64 = 64 << 10;

/// Every demo process name starts with this, so users and tests can find them.
pub const NAME_PREFIX: &str = "tt-";
/// The exited-but-unreaped child of the zombie demo.
pub const ZOMBIE_CHILD_NAME: &str = "tt-zombie";

// lab-python: py-asyncio, py-hash-threads, py-nogil, lifecycle.
/// py-asyncio's concurrent waits at most (each request holds two sockets while it waits).
pub const MAX_ASYNC_WAITS: u32 = 256;
pub const DEFAULT_ASYNC_WAITS: u32 = 20;
/// How long each py-asyncio wait takes: one asyncio.sleep, or the loopback server's reply delay.
pub const ASYNC_DELAY_MS: u32 = 100;
/// py-hash-threads hashes buffers of this size: far above the 2,048 bytes from which CPython's
/// hashlib releases the GIL (HASHLIB_GIL_MINSIZE).
pub const HASH_BUFFER_KIB: u32 = 256;
/// py-nogil runs N threads in each of its two interpreters, one after the other.
pub const MAX_NOGIL_THREADS: u32 = MAX_THREADS / 2;
/// How long lifecycle holds each step, so that a person (and the state strip) can see it.
pub const LIFECYCLE_STEP_MS: u64 = 2000;
/// The steps lifecycle walks, in order: what its progress counts (`ops` = the step it is on),
/// with the state letter to look for and what to look at.
pub const LIFECYCLE_STEPS: [LifeStep; 7] = [
    LifeStep {
        name: "created",
        letter: ' ',
        look: "fork + exec: tt-lifecycle appears in the list, under threadtop in the tree (t)",
    },
    LifeStep { name: "running", letter: 'R', look: "it spins: STATE R, CPU% near 100" },
    LifeStep { name: "sleeping", letter: 'S', look: "it sleeps on a timer: STATE S, CPU% 0" },
    LifeStep { name: "disk", letter: 'D', look: "it fsyncs big writes: STATE D while the disk works (may be brief)" },
    LifeStep { name: "stopped", letter: 'T', look: "threadtop sent it SIGSTOP: STATE T; SIGCONT follows" },
    LifeStep { name: "zombie", letter: 'Z', look: "it exited; threadtop waits before reaping: STATE Z" },
    LifeStep { name: "reaped", letter: ' ', look: "threadtop reaped it: the row is gone" },
];

/// One step of the lifecycle demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifeStep {
    pub name: &'static str,
    /// The /proc state letter the step shows, ' ' for none.
    pub letter: char,
    pub look: &'static str,
}

/// The lifecycle step a progress count stands for (the last one past the end).
pub fn lifecycle_step(ops: u64) -> (usize, &'static LifeStep) {
    let last = LIFECYCLE_STEPS.len() - 1;
    let i = usize::try_from(ops).unwrap_or(last).min(last);
    (i, &LIFECYCLE_STEPS[i])
}

/// How to get a free-threaded CPython, for py-nogil's "none found".
pub const HOW_TO_GET_NOGIL: &str = "uv python install 3.13t (then put its python3.13t on PATH), \
                                    or pyenv install 3.13t, or a distro package (Fedora: python3.13-freethreading; \
                                    Ubuntu's deadsnakes PPA: python3.13-nogil); or set THREADTOP_PYTHON_NOGIL \
                                    to its path";

/// What a demo's N counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerUnit {
    /// Threads inside one process.
    Threads,
    /// Separate processes, one thread each.
    Processes,
    /// Exited children left unreaped under one parent.
    Zombies,
    /// K threads created and joined, then K processes created and reaped.
    Spawns,
    /// N threads in one process, then N processes (memory).
    ThreadsThenProcesses,
    /// Two sides, threads then processes (switch-cost, ipc): N is fixed at 2.
    Sides,
    /// Concurrent waits in one thread (py-asyncio).
    Waits,
}

impl WorkerUnit {
    /// Plural noun for labels such as "4 threads".
    pub fn noun(self) -> &'static str {
        match self {
            WorkerUnit::Threads => "threads",
            WorkerUnit::Processes => "processes",
            WorkerUnit::Zombies => "zombies",
            WorkerUnit::Spawns => "threads and processes",
            WorkerUnit::ThreadsThenProcesses => "threads, then processes",
            WorkerUnit::Sides => "sides (threads, then processes)",
            WorkerUnit::Waits => "waits",
        }
    }
}

/// The catalogue entry of one demo kind.
#[derive(Debug)]
pub struct DemoInfo {
    pub kind: DemoKind,
    /// One line, for the lab's list.
    pub summary: &'static str,
    /// A few plain sentences: what the demo shows and where to look.
    pub lesson: &'static str,
    pub unit: WorkerUnit,
    /// The process name(s) as shown in the process list (cpu-procs numbers them).
    pub process_names: &'static str,
    /// Worker threads are named `<prefix>-<i>`; `None` when the work runs on the main thread.
    pub thread_prefix: Option<&'static str>,
    /// Runs its work once and ends, the duration being only a time limit (spawn-cost).
    pub runs_once: bool,
    /// What one counted operation is, for the "ops/s" column.
    pub op: &'static str,
}

static CATALOG: [DemoInfo; 17] = [
    DemoInfo {
        kind: DemoKind::CpuThreads,
        summary: "N threads in one process, each spinning on arithmetic",
        lesson: "One PID with N busy threads. Enter on tt-cpu-threads opens its threads: each \
                 runs near 100% of a core and the core map shows them on different cores, so \
                 cores in use climbs to N, or to your core count if N is larger. Threads of one \
                 process run in parallel on a multicore machine: parallelism, not just \
                 concurrency. Start more threads than cores and they only take turns. Then, in \
                 its threads view, press a, Space unticks the first core, Enter: the whole \
                 process now runs on the cores left; watch WAIT% rise and cores in use fall. \
                 WAIT% (runnable, waiting for a core) is the dependable sign of taking turns at \
                 any N; a thread's NVCSW/s (preempted) is not: a core's preemptions are shared \
                 out among its threads, so each one's falls as N grows.",
        unit: WorkerUnit::Threads,
        process_names: "tt-cpu-threads",
        thread_prefix: Some("cpu"),
        runs_once: false,
        op: "a fixed block of arithmetic",
    },
    DemoInfo {
        kind: DemoKind::IoThreads,
        summary: "N threads that mostly wait on a timer, doing a little work per wake-up",
        lesson: "N threads, nearly all in state S (sleeping), and the process near 0% CPU. In \
                 the threads view VCSW/s is high, because each thread gives up the CPU every \
                 time it waits, and NVCSW/s stays near 0, because nobody has to push it off. \
                 This is I/O-bound work: it needs concurrency, not parallelism, which is why \
                 Python threads suit it despite the GIL.",
        unit: WorkerUnit::Threads,
        process_names: "tt-io-threads",
        thread_prefix: Some("io"),
        runs_once: false,
        op: "one wake-up: a 20 ms wait, then a little arithmetic",
    },
    DemoInfo {
        kind: DemoKind::LockThreads,
        summary: "N threads that must hold one global lock to compute: a GIL imitated",
        lesson: "N threads, but only one holds the lock at a time: cores in use stays near 1 \
                 however many threads you start, and in the threads view each thread gets about \
                 1/N of a core. Each holds the lock for a 5 ms turn, then hands it on fairly. \
                 This is what Python's GIL does to CPU-bound threads: compare with cpu-threads \
                 and cpu-procs.",
        unit: WorkerUnit::Threads,
        process_names: "tt-lock-threads",
        thread_prefix: Some("lock"),
        runs_once: false,
        op: "a fixed block of arithmetic, done while holding the lock",
    },
    DemoInfo {
        kind: DemoKind::CpuProcs,
        summary: "N processes, one spinning thread each",
        lesson: "N PIDs, each with its own memory (RSS) and one busy thread: cores in use \
                 reaches N, or your core count, as with cpu-threads, but the workers are \
                 separate processes that share nothing. This is how Python's multiprocessing \
                 gets around the GIL, at the price of a costlier start (see spawn-cost) and of \
                 talking through pipes instead of shared memory.",
        unit: WorkerUnit::Processes,
        process_names: "tt-cpu-proc-0, tt-cpu-proc-1, ...",
        thread_prefix: None,
        runs_once: false,
        op: "a fixed block of arithmetic",
    },
    DemoInfo {
        kind: DemoKind::Zombie,
        summary: "a parent that does not reap its exited child until its deadline",
        lesson: "The child tt-zombie exits at once, but its parent tt-zombie-par does not wait \
                 for it, so it stays in the table in state Z: no memory, no CPU, only a PID and \
                 an exit status waiting to be collected. The tree view shows it under its \
                 parent. At the deadline, or when stopped, the parent reaps it and the row \
                 disappears; if the parent dies first, PID 1 adopts and reaps it.",
        unit: WorkerUnit::Zombies,
        process_names: "tt-zombie-par, child tt-zombie",
        thread_prefix: None,
        runs_once: false,
        op: "one zombie child created",
    },
    DemoInfo {
        kind: DemoKind::SpawnCost,
        summary: "creates and joins K threads, then creates and reaps K processes, timing each",
        lesson: "A new thread only adds a stack and a scheduler entry to a process that already \
                 exists; a new process (fork) gets a copy of the whole process's page tables and \
                 file descriptors, and must be reaped. The result is the cost of one thread and \
                 of one process, measured on this machine, and their ratio: threads are cheaper \
                 to create, which is why they suit small tasks and processes heavier ones.",
        unit: WorkerUnit::Spawns,
        process_names: "tt-spawn-cost",
        thread_prefix: Some("spawn"),
        runs_once: true,
        op: "one thread or process created and joined or reaped",
    },
    DemoInfo {
        kind: DemoKind::PyThreads,
        summary: "real CPython: N threading threads doing pure-Python arithmetic",
        lesson: "A real python3 runs N threads of pure-Python arithmetic. Open its threads \
                 view: the py- threads all exist and all want the CPU, but CPython's GIL lets \
                 only one of them run Python code at a time, so cores in use stays near 1 \
                 however many threads you start: the real thing lock-threads imitates. The \
                 GIL% column shows it measured: the py- threads' shares sum to about 100%. Compare \
                 its ops/s with py-procs. A free-threaded Python (3.13t and later, GIL off) \
                 would use N cores here: the result says which one you have.",
        unit: WorkerUnit::Threads,
        process_names: "tt-py-threads",
        thread_prefix: Some("py"),
        runs_once: false,
        op: "5000 rounds of xorshift in pure Python",
    },
    DemoInfo {
        kind: DemoKind::PyProcs,
        summary: "real CPython: N multiprocessing processes doing the same arithmetic",
        lesson: "The same pure-Python work in N multiprocessing processes under one python3 \
                 parent. Each process has its own interpreter and its own GIL, so cores in use \
                 reaches N, or your core count, and ops/s grows with it: this is how Python \
                 gets around the GIL for CPU-bound work, at the price of a process each and of \
                 talking through pipes.",
        unit: WorkerUnit::Processes,
        process_names: "tt-py-procs, children tt-py-proc-0, tt-py-proc-1, ...",
        thread_prefix: None,
        runs_once: false,
        op: "5000 rounds of xorshift in pure Python",
    },
    DemoInfo {
        kind: DemoKind::Memory,
        summary: "one 64 MiB buffer shared by N threads, vs N processes' own, vs forked copy-on-write",
        lesson: "Four steps, each measured from /proc/PID/smaps_rollup. 1: N threads of \
                 tt-memory write one buffer of B = 64 MiB: one address space, so the total is \
                 about B. 2: N processes tt-mem-own-I each write their own: about N x B. 3: \
                 N children tt-mem-shr-I forked from a parent holding the buffer only read it: \
                 RSS says B for each (it counts every page a process maps), but PSS, which \
                 divides each page among the processes sharing it, says B/N each: RSS lies about \
                 shared memory. 4: they write it (now tt-mem-cow-I): each write copies the \
                 page (copy-on-write) and the total climbs to N x B. USS, the pages only one \
                 process maps, is what killing it would free. Watch RES in the list as it goes.",
        unit: WorkerUnit::ThreadsThenProcesses,
        process_names: "tt-memory, tt-mem-own-I, tt-mem-shr-I (tt-mem-cow-I once written)",
        thread_prefix: Some("mem"),
        runs_once: false,
        op: "one step measured",
    },
    DemoInfo {
        kind: DemoKind::Race,
        summary: "N threads add 1 to one counter: unsynchronised vs atomic vs mutex",
        lesson: "N threads each add 1 to one shared counter ten million times. Unsynchronised \
                 (load, add, store: no lock), two threads running at once read the same value \
                 and both write value+1: an update is lost and the final count comes out short. \
                 Pinned to one core only one thread runs at a time and they take turns only a \
                 few times (the result counts these interleavings): an update is lost only when \
                 a switch lands between a thread's load and its store, but that store then \
                 throws away every increment the other made meanwhile: losses are rare, often \
                 none in a run, and each one large. On a busy machine the two-core run may take turns like that too: \
                 compare their interleavings. An atomic fetch_add or a mutex never loses one, \
                 at a price in ns per increment the result shows: the seeds' 'inconsistent state'.",
        unit: WorkerUnit::Threads,
        process_names: "tt-race",
        thread_prefix: Some("race"),
        runs_once: false,
        op: "one way of counting done",
    },
    DemoInfo {
        kind: DemoKind::SwitchCost,
        summary: "a byte ping-ponged over pipes: two threads vs two processes, one core vs two",
        lesson: "Two tasks pass a byte back and forth over two pipes; each waits in read for the \
                 other, so every round trip costs each side one voluntary context switch (VCSW/s \
                 in the threads view). The textbook says a process switch costs more than a \
                 thread switch; the result shows what this machine says. On Linux both go \
                 through the same scheduler path and only the address-space switch differs, \
                 which tagged TLBs (PCID) make cheap: expect the two within a few per cent. On \
                 two cores each wake-up also crosses cores, which usually costs more than the \
                 switch itself.",
        unit: WorkerUnit::Sides,
        process_names: "tt-switch-cost, tt-sw-p1-a/b, tt-sw-p2-a/b",
        thread_prefix: Some("sw"),
        runs_once: false,
        op: "one ping-pong measured",
    },
    DemoInfo {
        kind: DemoKind::Ipc,
        summary: "messages between threads (channel) vs processes (pipe, shared-memory ring)",
        lesson: "The same stream of 64 B and 64 KiB messages sent three ways: a channel between \
                 two threads of tt-ipc (they share memory, so a message is a pointer handed \
                 over), a pipe to a child process tt-ipc-pipe (each byte copied into the kernel \
                 and out again), and a ring in memory shared with a child tt-ipc-ring (no system \
                 call per message). MB/s and µs per message are measured; the receiver checks \
                 every byte. Processes can talk as fast as threads once they share memory, at \
                 the price of doing the synchronisation themselves.",
        unit: WorkerUnit::Sides,
        process_names: "tt-ipc, tt-ipc-pipe, tt-ipc-ring",
        thread_prefix: Some("ipc"),
        runs_once: false,
        op: "one transfer measured",
    },
    DemoInfo {
        kind: DemoKind::RealIo,
        summary: "N threads doing fsync'd writes and slow loopback requests vs one thread",
        lesson: "Each operation writes 64 KiB to a file in the temp dir and fsyncs it, then asks \
                 a server on 127.0.0.1 (run by the demo) that waits 100 ms before it answers. N \
                 threads rio-I do theirs at once, then one thread rio-seq does all of them in a \
                 row. The threads spend their time in state S (or D in fsync), CPU near zero, \
                 and their waits overlap: wall time is about one thread's share, the sequential \
                 run about N times that. Concurrency pays for I/O even on one core: no \
                 parallelism needed. The file has no name on disk, so nothing is left behind.",
        unit: WorkerUnit::Threads,
        process_names: "tt-real-io",
        thread_prefix: Some("rio"),
        runs_once: false,
        op: "one fsync'd write and one delayed request",
    },
    // lab-python
    DemoInfo {
        kind: DemoKind::PyAsyncio,
        summary: "one Python thread: N asyncio sleeps and loopback requests at once, then one by one",
        lesson: "A real python3 with one thread runs N asyncio sleeps of 100 ms at once, then N \
                 requests at once to a small server it runs itself on loopback (in the same \
                 event loop) that answers after 100 ms; then the same waits one after another. \
                 At once, the N waits take about one wait; one by one, N waits. Open its threads \
                 view: one thread only (threadtop reads Threads in /proc), in state S, and the \
                 process near 0% CPU: the cores stay idle. This is concurrency without threads \
                 or parallelism: while one coroutine waits, the event loop runs another.",
        unit: WorkerUnit::Waits,
        process_names: "tt-py-asyncio",
        thread_prefix: None,
        runs_once: true,
        op: "one 100 ms wait (a sleep or a loopback request)",
    },
    DemoInfo {
        kind: DemoKind::PyHashThreads,
        summary: "real CPython: N threads hashing 256 KiB buffers, then the same threads doing arithmetic",
        lesson: "Where the seeds overreach: \"due to the GIL there is no multithreading in \
                 Python\". For the first half, N Python threads each hash 256 KiB buffers with \
                 hashlib.sha256, which releases the GIL while its C code runs (for inputs of 2 \
                 KiB or more): cores in use climbs to N, or your core count. For the second \
                 half the same threads do pure-Python arithmetic and cores in use falls to \
                 about 1. The GIL serialises Python bytecode, not C code that lets go of it \
                 (hashlib, zlib, numpy, file and socket I/O).",
        unit: WorkerUnit::Threads,
        process_names: "tt-py-hash",
        thread_prefix: Some("py"),
        runs_once: false,
        op: "one sha256 of 256 KiB, or 5000 rounds of xorshift in pure Python",
    },
    DemoInfo {
        kind: DemoKind::PyNogil,
        summary: "py-threads under python3 (GIL), then under a free-threaded Python, side by side",
        lesson: "The same N threads of pure-Python arithmetic, first under python3 with its GIL \
                 (tt-py-gil: cores in use near 1), then under a free-threaded CPython (3.13t or \
                 later, GIL off: tt-py-nogil, cores in use near N). threadtop looks for one in \
                 THREADTOP_PYTHON_NOGIL, then python3.14t and python3.13t on PATH, and asks each \
                 sys._is_gil_enabled(). None found: the result says so and how to get one \
                 (uv python install 3.13t, pyenv install 3.13t, or a distro package); only \
                 the GIL half runs. Nothing is downloaded.",
        unit: WorkerUnit::Threads,
        process_names: "tt-py-gil, then tt-py-nogil",
        thread_prefix: Some("py"),
        runs_once: false,
        op: "5000 rounds of xorshift in pure Python",
    },
    DemoInfo {
        kind: DemoKind::Lifecycle,
        summary: "one process walks created, running R, sleeping S, disk D, stopped T, zombie Z, reaped",
        lesson: "Start -> Ready -> Running -> Waiting -> Exit, on a real process. tt-lifecycle \
                 spends about 2 s in each step: it spins (R), sleeps on a timer (S), fsyncs big \
                 writes to a temporary file, already deleted, (D, blocked on the disk: may be \
                 brief on a fast disk), is stopped by threadtop with SIGSTOP (T) and continued \
                 with SIGCONT, exits and stays a zombie (Z) until threadtop reaps it. Select it \
                 and press Enter: its threads view's state history strip shows the letters \
                 go by; the RESULT column names the current step and what to look at.",
        unit: WorkerUnit::Processes,
        process_names: "tt-lifecycle",
        thread_prefix: None,
        runs_once: true,
        op: "one step of the life cycle",
    },
];

/// The catalogue entry of `kind`.
pub fn info(kind: DemoKind) -> &'static DemoInfo {
    match kind {
        DemoKind::CpuThreads => &CATALOG[0],
        DemoKind::IoThreads => &CATALOG[1],
        DemoKind::LockThreads => &CATALOG[2],
        DemoKind::CpuProcs => &CATALOG[3],
        DemoKind::Zombie => &CATALOG[4],
        DemoKind::SpawnCost => &CATALOG[5],
        DemoKind::PyThreads => &CATALOG[6],
        DemoKind::PyProcs => &CATALOG[7],
        DemoKind::Memory => &CATALOG[8],
        DemoKind::Race => &CATALOG[9],
        DemoKind::SwitchCost => &CATALOG[10],
        DemoKind::Ipc => &CATALOG[11],
        DemoKind::RealIo => &CATALOG[12],
        DemoKind::PyAsyncio => &CATALOG[13],
        DemoKind::PyHashThreads => &CATALOG[14],
        DemoKind::PyNogil => &CATALOG[15],
        DemoKind::Lifecycle => &CATALOG[16],
    }
}

/// Logical cores this process may run on (affinity and cgroup quota included).
pub fn logical_cores() -> u32 {
    std::thread::available_parallelism().map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX)).unwrap_or(1)
}

/// N when the user does not choose: enough to fill the machine for CPU demos.
pub fn default_workers(kind: DemoKind) -> u32 {
    match kind {
        DemoKind::CpuThreads | DemoKind::CpuProcs | DemoKind::PyThreads | DemoKind::PyProcs => {
            logical_cores().min(max_workers(kind))
        }
        DemoKind::IoThreads => 8,
        DemoKind::LockThreads => 4,
        DemoKind::Zombie => 1,
        DemoKind::SpawnCost => DEFAULT_SPAWN_K,
        DemoKind::PyAsyncio => DEFAULT_ASYNC_WAITS,
        DemoKind::PyHashThreads | DemoKind::PyNogil => logical_cores().min(max_workers(kind)),
        DemoKind::Lifecycle => 1,
        DemoKind::Memory => 4,
        DemoKind::Race => 2,
        DemoKind::SwitchCost | DemoKind::Ipc => 2,
        DemoKind::RealIo => 8,
    }
}

/// How long a demo runs when the user does not choose: the step-by-step demos need a few
/// seconds per step to be watched, not a minute.
pub fn default_duration(kind: DemoKind) -> Duration {
    match kind {
        DemoKind::Memory => Duration::from_secs(20),
        DemoKind::Race | DemoKind::SwitchCost => Duration::from_secs(8),
        DemoKind::Ipc => Duration::from_secs(12),
        // Both ways of doing it take about 2 s at N = 8; the rest leaves the figures on screen.
        DemoKind::RealIo => Duration::from_secs(10),
        _ => DEFAULT_DURATION,
    }
}

/// The largest N a launch accepts.
pub fn max_workers(kind: DemoKind) -> u32 {
    match kind {
        DemoKind::CpuThreads | DemoKind::IoThreads | DemoKind::LockThreads | DemoKind::PyThreads => MAX_THREADS,
        DemoKind::CpuProcs => MAX_PROCESSES,
        // The parent counts as one of the demo's processes.
        DemoKind::Zombie | DemoKind::PyProcs => MAX_PROCESSES - 1,
        DemoKind::SpawnCost => MAX_SPAWN_K,
        DemoKind::PyAsyncio => MAX_ASYNC_WAITS,
        DemoKind::PyHashThreads => MAX_THREADS,
        DemoKind::PyNogil => MAX_NOGIL_THREADS,
        DemoKind::Lifecycle => 1,
        DemoKind::Memory => (MEMORY_MAX_TOTAL_MIB / MEMORY_BUFFER_MIB) as u32,
        DemoKind::Race => RACE_MAX_THREADS,
        DemoKind::SwitchCost | DemoKind::Ipc => 2,
        DemoKind::RealIo => REAL_IO_MAX_THREADS,
    }
}

/// The smallest N a launch accepts: ping-pong and messages need two sides, a race two threads
/// (one thread alone cannot lose an update, which is worth seeing too, but the lesson is two).
pub fn min_workers(kind: DemoKind) -> u32 {
    match kind {
        DemoKind::SwitchCost | DemoKind::Ipc => 2,
        _ => 1,
    }
}

/// The N a launch accepts, for the lab's +/- adjustments.
pub fn workers_range(kind: DemoKind) -> RangeInclusive<u32> {
    min_workers(kind)..=max_workers(kind)
}

/// A spec with the defaults of `kind`.
pub fn default_spec(kind: DemoKind) -> DemoSpec {
    DemoSpec { kind, workers: default_workers(kind), duration: default_duration(kind) }
}

/// The RESULT column's texts for a finished py-asyncio, py-hash-threads, py-nogil or lifecycle,
/// the longest first (the lab shows the first that fits); `None` for the other kinds.
pub fn result_texts(r: &DemoResult) -> Option<Vec<String>> {
    let x = r.extra.as_ref()?;
    let phase = |name: &str| x.phases.iter().find(|p| p.name == name);
    let cores = |p: Option<&Phase>| p.map_or("-".to_owned(), |p| format!("{:.2}", p.cores_used));
    let wall = |p: Option<&Phase>| p.map_or("-".to_owned(), |p| format!("{:.2}s", p.wall_seconds));
    let kind = DemoKind::from_name(&r.kind)?;
    Some(match kind {
        DemoKind::PyAsyncio => {
            let (sc, rc) = (phase("sleeps_concurrent"), phase("requests_concurrent"));
            let (ss, rs) = (phase("sleeps_sequential"), phase("requests_sequential"));
            let threads = x.threads_peak.map_or("threads ?".to_owned(), |t| {
                if t == 1 { "1 thread".to_owned() } else { format!("{t} threads") }
            });
            vec![
                format!(
                    "{} waits at once {} / {} · one by one {} / {} (sleeps / requests) · {threads} · {:.2} cores",
                    r.workers,
                    wall(sc),
                    wall(rc),
                    wall(ss),
                    wall(rs),
                    r.cores_used
                ),
                format!("at once {} · one by one {} · {threads}", wall(rc), wall(rs)),
                format!("{} vs {} · {threads}", wall(rc), wall(rs)),
            ]
        }
        DemoKind::PyHashThreads => vec![
            format!(
                "hashing {} cores · pure Python {} cores (the same threads)",
                cores(phase("hash")),
                cores(phase("pure"))
            ),
            format!("hash {} · pure {} cores", cores(phase("hash")), cores(phase("pure"))),
        ],
        DemoKind::PyNogil => {
            let gil = cores(phase("gil"));
            match &x.free_threaded {
                Some(ft) if ft.found => vec![
                    format!(
                        "GIL {gil} cores · no GIL {} cores (CPython {})",
                        cores(phase("nogil")),
                        ft.version.as_deref().unwrap_or("?")
                    ),
                    format!("GIL {gil} · no GIL {}", cores(phase("nogil"))),
                ],
                _ => vec![
                    format!("GIL {gil} cores · no free-threaded Python found: uv python install 3.13t"),
                    format!("GIL {gil} · no-GIL Python: none found"),
                    format!("GIL {gil} · none found"),
                ],
            }
        }
        DemoKind::Lifecycle => {
            // Each step's letters, most often read first: "running R · disk D+R".
            let per_step: Vec<String> = x
                .steps
                .iter()
                .filter(|s| !s.seen.is_empty())
                .map(|s| {
                    let mut seen: Vec<(&char, &u32)> = s.seen.iter().collect();
                    seen.sort_by(|a, b| b.1.cmp(a.1));
                    let letters: Vec<String> = seen.iter().map(|(c, _)| c.to_string()).collect();
                    format!("{} {}", s.name, letters.join("+"))
                })
                .collect();
            let seen = x.states_seen.as_deref().unwrap_or("");
            let mut letters = String::new();
            for step in &LIFECYCLE_STEPS {
                if step.letter != ' ' && seen.contains(step.letter) {
                    letters.push(step.letter);
                }
            }
            let reaped = if x.reaped == Some(true) { "reaped" } else { "not reaped by threadtop" };
            let no_d = if seen.contains('D') { "" } else { " (no D seen: the disk was quick)" };
            vec![
                format!("{} · {reaped}{no_d}", per_step.join(" · ")),
                format!("seen {letters} · {reaped}{no_d}"),
                format!("seen {letters} · {reaped}"),
            ]
        }
        _ => return None,
    })
}

/// The RESULT column's texts for a running lifecycle: its step and what to look at.
pub fn lifecycle_texts(ops: u64) -> Vec<String> {
    let (i, step) = lifecycle_step(ops);
    let n = LIFECYCLE_STEPS.len() - 1;
    let letter = if step.letter == ' ' { String::new() } else { format!(" ({})", step.letter) };
    vec![
        format!("step {i}/{n} {}{letter}: {}", step.name, step.look),
        format!("step {i}/{n} {}{letter}", step.name),
        format!("{i}/{n} {}", step.name),
    ]
}

/// The name the demo's process number `index` gives itself (Linux keeps 15 bytes).
pub fn process_name(kind: DemoKind, index: u32) -> String {
    match kind {
        DemoKind::CpuThreads => "tt-cpu-threads".to_owned(),
        DemoKind::IoThreads => "tt-io-threads".to_owned(),
        DemoKind::LockThreads => "tt-lock-threads".to_owned(),
        DemoKind::CpuProcs => format!("tt-cpu-proc-{index}"),
        DemoKind::Zombie => "tt-zombie-par".to_owned(),
        DemoKind::SpawnCost => "tt-spawn-cost".to_owned(),
        // The python3 parent; its multiprocessing children name themselves (PY_PROC_PREFIX).
        DemoKind::PyThreads => "tt-py-threads".to_owned(),
        DemoKind::PyProcs => "tt-py-procs".to_owned(),
        DemoKind::Memory => "tt-memory".to_owned(),
        DemoKind::Race => "tt-race".to_owned(),
        DemoKind::SwitchCost => "tt-switch-cost".to_owned(),
        DemoKind::Ipc => "tt-ipc".to_owned(),
        DemoKind::RealIo => "tt-real-io".to_owned(),
        DemoKind::PyAsyncio => "tt-py-asyncio".to_owned(),
        DemoKind::PyHashThreads => "tt-py-hash".to_owned(),
        // The GIL half first, then the free-threaded one.
        DemoKind::PyNogil if index == 0 => "tt-py-gil".to_owned(),
        DemoKind::PyNogil => "tt-py-nogil".to_owned(),
        DemoKind::Lifecycle => "tt-lifecycle".to_owned(),
    }
}

/// py-procs' multiprocessing children are named `tt-py-proc-<i>` by the script itself.
pub const PY_PROC_PREFIX: &str = "tt-py-proc-";

/// The name of worker thread `i`, for kinds that start threads.
pub fn thread_name(kind: DemoKind, i: u32) -> Option<String> {
    info(kind).thread_prefix.map(|p| format!("{p}-{i}"))
}

/// Whether `spec` may start now, with `running` demos already running. The reason, in words a
/// user can act on, when it may not; nothing must be started then.
pub fn check(spec: &DemoSpec, running: usize) -> Result<(), String> {
    let kind = spec.kind;
    let unit = info(kind).unit;
    if running >= MAX_CONCURRENT {
        return Err(format!(
            "{running} demos are already running, the most at once is {MAX_CONCURRENT}: stop one first"
        ));
    }
    if spec.workers == 0 {
        return Err(format!("{kind} needs at least 1 of its {}", unit.noun()));
    }
    let max = max_workers(kind);
    if spec.workers > max {
        let n = spec.workers;
        return Err(match kind {
            DemoKind::CpuThreads | DemoKind::IoThreads | DemoKind::LockThreads | DemoKind::PyThreads => {
                format!("{kind} with {n} threads: a demo may start at most {MAX_THREADS} threads")
            }
            DemoKind::PyProcs => format!(
                "py-procs with {n} processes: with their python3 parent that makes {} processes, \
                 and a demo may start at most {MAX_PROCESSES}",
                u64::from(n) + 1
            ),
            DemoKind::CpuProcs => {
                format!("{kind} with {n} processes: a demo may start at most {MAX_PROCESSES} processes")
            }
            DemoKind::Zombie => format!(
                "zombie with {n} zombies: with their parent that makes {} processes, and a demo \
                 may start at most {MAX_PROCESSES}",
                u64::from(n) + 1
            ),
            DemoKind::SpawnCost => format!(
                "spawn-cost with K = {n}: K is at most {MAX_SPAWN_K} (it creates K threads, then \
                 K processes, one at a time)"
            ),
            DemoKind::Memory => format!(
                "memory with N = {n}: N buffers of {MEMORY_BUFFER_MIB} MiB make {} MiB, and the \
                 demo may hold at most {MEMORY_MAX_TOTAL_MIB} MiB (N at most {max})",
                u64::from(n) * MEMORY_BUFFER_MIB
            ),
            DemoKind::Race => format!("race with {n} threads: at most {RACE_MAX_THREADS} threads"),
            DemoKind::SwitchCost | DemoKind::Ipc => {
                format!("{kind} always has 2 sides (a ping and a pong, a sender and a receiver), not {n}")
            }
            DemoKind::RealIo => format!("real-io with {n} threads: at most {REAL_IO_MAX_THREADS} threads"),
            DemoKind::PyAsyncio => {
                format!("py-asyncio with {n} waits: at most {MAX_ASYNC_WAITS} at once (each request holds two sockets)")
            }
            DemoKind::PyHashThreads => {
                format!("{kind} with {n} threads: a demo may start at most {MAX_THREADS} threads")
            }
            DemoKind::PyNogil => {
                format!("py-nogil with {n} threads: it runs them in two interpreters, so at most {MAX_NOGIL_THREADS}")
            }
            DemoKind::Lifecycle => "lifecycle walks one process: N is 1".to_owned(),
        });
    }
    if spec.workers < min_workers(kind) {
        return Err(format!(
            "{kind} always has 2 sides (a ping and a pong, a sender and a receiver), not {}",
            spec.workers
        ));
    }
    if spec.duration.is_zero() {
        return Err("a demo needs a duration of more than 0 s".to_owned());
    }
    if spec.duration > MAX_DURATION {
        return Err(format!(
            "a demo may run at most 10 minutes ({} s), not {:.0} s",
            MAX_DURATION.as_secs(),
            spec.duration.as_secs_f64()
        ));
    }
    Ok(())
}

/// What the memory demo holds at its peak: N written copies in the children plus the parent's
/// buffer until it lets go, and some room for the rest of the machine.
pub fn memory_needed_bytes(spec: &DemoSpec) -> u64 {
    let mib = (u64::from(spec.workers) + 1) * MEMORY_BUFFER_MIB + 64;
    mib << 20
}

/// Whether the memory demo fits in `available` (MemAvailable of /proc/meminfo, `None` when it
/// could not be read): it refuses rather than push the machine into swap or the OOM killer.
pub fn memory_check(spec: &DemoSpec, available: Option<u64>) -> Result<(), String> {
    if spec.kind != DemoKind::Memory {
        return Ok(());
    }
    let needed = memory_needed_bytes(spec);
    match available {
        None => Err("memory: cannot read MemAvailable in /proc/meminfo, so the demo will not \
                     allocate its buffers"
            .to_owned()),
        Some(free) if free < needed => Err(format!(
            "memory with N = {} needs about {} MiB free, and MemAvailable says {} MiB: lower N \
             or free some memory",
            spec.workers,
            needed >> 20,
            free >> 20
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: DemoKind, workers: u32, secs: u64) -> DemoSpec {
        DemoSpec { kind, workers, duration: Duration::from_secs(secs) }
    }

    #[test]
    fn names_fit_in_linux_comm() {
        for kind in DemoKind::EVERY {
            for index in [0, 63] {
                let name = process_name(kind, index);
                assert!(name.len() <= 15, "{name} is cut by the kernel");
                assert!(name.starts_with(NAME_PREFIX));
            }
            if let Some(t) = thread_name(kind, MAX_SPAWN_K - 1) {
                assert!(t.len() <= 15, "{t} is cut by the kernel");
            }
        }
        assert!(ZOMBIE_CHILD_NAME.len() <= 15);
        assert!(format!("{PY_PROC_PREFIX}{}", MAX_PROCESSES - 1).len() <= 15);
        assert_eq!(process_name(DemoKind::CpuProcs, 3), "tt-cpu-proc-3");
        assert_eq!(thread_name(DemoKind::LockThreads, 2).as_deref(), Some("lock-2"));
        assert_eq!(thread_name(DemoKind::CpuProcs, 0), None);
    }

    #[test]
    fn every_kind_has_its_entry() {
        for kind in DemoKind::EVERY {
            let entry = info(kind);
            assert_eq!(entry.kind, kind);
            assert!(!entry.summary.is_empty() && !entry.lesson.is_empty());
            assert!(workers_range(kind).contains(&default_workers(kind)));
            assert_eq!(check(&default_spec(kind), 0), Ok(()));
        }
        assert_eq!(default_workers(DemoKind::IoThreads), 8);
        assert_eq!(default_workers(DemoKind::LockThreads), 4);
        assert_eq!(default_workers(DemoKind::SpawnCost), 200);
        assert_eq!(default_workers(DemoKind::Zombie), 1);
        assert_eq!(default_workers(DemoKind::CpuThreads), logical_cores());
        assert_eq!(DEFAULT_DURATION, Duration::from_secs(60));
    }

    #[test]
    fn the_pinning_exercise_names_its_keys_and_the_signal_that_holds_at_every_n() {
        let lesson = info(DemoKind::CpuThreads).lesson;
        for needle in [
            "Enter on tt-cpu-threads opens its threads",
            "press a, Space unticks the first core, Enter: the whole process now runs on the cores left",
            "watch WAIT% rise and cores in use fall",
        ] {
            assert!(lesson.contains(needle), "{needle:?} not in {lesson:?}");
        }
        // Measured pinned to one core: NVCSW/s per thread 140/s at N = 2, 72/s at N = 4.
        for kind in DemoKind::EVERY {
            assert!(!info(kind).lesson.contains("NVCSW/s climbs"), "{kind}");
        }
    }

    #[test]
    fn thread_cap_is_256_per_demo() {
        for kind in [DemoKind::CpuThreads, DemoKind::IoThreads, DemoKind::LockThreads] {
            assert_eq!(check(&spec(kind, 256, 10), 0), Ok(()));
            let err = check(&spec(kind, 257, 10), 0).unwrap_err();
            assert!(err.contains("at most 256 threads"), "{err}");
        }
    }

    #[test]
    fn process_cap_is_64_per_demo() {
        assert_eq!(check(&spec(DemoKind::CpuProcs, 64, 10), 0), Ok(()));
        let err = check(&spec(DemoKind::CpuProcs, 65, 10), 0).unwrap_err();
        assert!(err.contains("at most 64 processes"), "{err}");
        // The zombie's parent is a process of the demo as well.
        assert_eq!(check(&spec(DemoKind::Zombie, 63, 10), 0), Ok(()));
        let err = check(&spec(DemoKind::Zombie, 64, 10), 0).unwrap_err();
        assert!(err.contains("65 processes"), "{err}");
    }

    #[test]
    fn python_demos_count_their_parent() {
        assert_eq!(check(&spec(DemoKind::PyThreads, 256, 10), 0), Ok(()));
        assert!(check(&spec(DemoKind::PyThreads, 257, 10), 0).is_err());
        assert_eq!(check(&spec(DemoKind::PyProcs, 63, 10), 0), Ok(()));
        let err = check(&spec(DemoKind::PyProcs, 64, 10), 0).unwrap_err();
        assert!(err.contains("65 processes"), "{err}");
        assert_eq!(default_workers(DemoKind::PyProcs), logical_cores().min(63));
    }

    #[test]
    fn spawn_cost_k_is_capped() {
        assert_eq!(check(&spec(DemoKind::SpawnCost, MAX_SPAWN_K, 10), 0), Ok(()));
        assert!(check(&spec(DemoKind::SpawnCost, MAX_SPAWN_K + 1, 10), 0).is_err());
    }

    #[test]
    fn at_most_twenty_demos_at_once() {
        // Every kind of the catalogue must be able to run at once (the SIGKILL torture test).
        assert!(DemoKind::EVERY.len() <= MAX_CONCURRENT);
        let s = spec(DemoKind::IoThreads, 1, 10);
        assert_eq!(check(&s, 19), Ok(()));
        let err = check(&s, 20).unwrap_err();
        assert!(err.contains("already running"), "{err}");
        assert!(check(&s, 21).is_err());
    }

    #[test]
    fn memory_is_capped_at_512_mib_and_refused_when_short() {
        assert_eq!(check(&spec(DemoKind::Memory, 8, 10), 0), Ok(()));
        let err = check(&spec(DemoKind::Memory, 9, 10), 0).unwrap_err();
        assert!(err.contains("576 MiB") && err.contains("at most 512 MiB"), "{err}");
        let s = spec(DemoKind::Memory, 4, 10);
        assert_eq!(memory_needed_bytes(&s), (5 * 64 + 64) << 20);
        assert_eq!(memory_check(&s, Some(1 << 30)), Ok(()));
        let err = memory_check(&s, Some(300 << 20)).unwrap_err();
        assert!(err.contains("384 MiB") && err.contains("MemAvailable says 300 MiB"), "{err}");
        assert!(memory_check(&s, None).is_err());
        assert_eq!(memory_check(&spec(DemoKind::CpuThreads, 4, 10), None), Ok(()));
    }

    #[test]
    fn two_sided_demos_have_two_sides() {
        for kind in [DemoKind::SwitchCost, DemoKind::Ipc] {
            assert_eq!(check(&spec(kind, 2, 10), 0), Ok(()));
            assert!(check(&spec(kind, 1, 10), 0).unwrap_err().contains("2 sides"));
            assert!(check(&spec(kind, 3, 10), 0).unwrap_err().contains("2 sides"));
        }
        assert!(check(&spec(DemoKind::Race, 65, 10), 0).is_err());
        assert!(check(&spec(DemoKind::RealIo, 65, 10), 0).is_err());
    }

    #[test]
    fn duration_is_capped_at_ten_minutes() {
        assert_eq!(check(&spec(DemoKind::CpuThreads, 1, 600), 0), Ok(()));
        let err = check(&spec(DemoKind::CpuThreads, 1, 601), 0).unwrap_err();
        assert!(err.contains("10 minutes"), "{err}");
        assert!(check(&spec(DemoKind::CpuThreads, 1, 0), 0).is_err());
    }

    #[test]
    fn the_new_kinds_have_their_names_caps_and_defaults() {
        assert_eq!(process_name(DemoKind::PyHashThreads, 0), "tt-py-hash");
        assert_eq!(
            (process_name(DemoKind::PyNogil, 0), process_name(DemoKind::PyNogil, 1)),
            ("tt-py-gil".into(), "tt-py-nogil".into())
        );
        assert_eq!(default_workers(DemoKind::PyAsyncio), DEFAULT_ASYNC_WAITS);
        assert_eq!(default_workers(DemoKind::Lifecycle), 1);
        assert!(check(&spec(DemoKind::Lifecycle, 2, 10), 0).unwrap_err().contains("N is 1"));
        assert!(check(&spec(DemoKind::PyAsyncio, MAX_ASYNC_WAITS + 1, 10), 0).unwrap_err().contains("256"));
        assert_eq!(check(&spec(DemoKind::PyNogil, MAX_NOGIL_THREADS, 10), 0), Ok(()));
        assert!(check(&spec(DemoKind::PyNogil, MAX_NOGIL_THREADS + 1, 10), 0).is_err());
        assert!(info(DemoKind::PyAsyncio).runs_once && info(DemoKind::Lifecycle).runs_once);
        for kind in [DemoKind::PyAsyncio, DemoKind::PyHashThreads, DemoKind::PyNogil] {
            assert!(kind.needs_python() && DemoKind::PYTHON.contains(&kind), "{kind}");
        }
        assert!(!DemoKind::Lifecycle.needs_python() && DemoKind::ALL.contains(&DemoKind::Lifecycle));
        // EVERY is ALL and PYTHON, each kind once.
        let mut all: Vec<DemoKind> = DemoKind::ALL.iter().chain(DemoKind::PYTHON.iter()).copied().collect();
        let mut every = DemoKind::EVERY.to_vec();
        all.sort();
        every.sort();
        assert_eq!(all, every);
    }

    #[test]
    fn lifecycle_steps_narrate_and_results_read_plainly() {
        use crate::model::demo::{DemoResult, Extra, FreeThreaded, Phase};
        assert_eq!(lifecycle_texts(3)[1], "step 3/6 disk (D)");
        assert_eq!(lifecycle_texts(0)[1], "step 0/6 created");
        // Past the end (or a nonsense count) is the last step, never a panic.
        assert_eq!(lifecycle_texts(u64::MAX)[2], "6/6 reaped");
        let phase = |name: &str, wall: f64, cores: f64| Phase {
            name: name.into(),
            ops: 10,
            wall_seconds: wall,
            cpu_seconds: wall * cores,
            cores_used: cores,
        };
        let result = |kind: &str, extra: Extra| DemoResult {
            kind: kind.into(),
            workers: 10,
            wall_seconds: 3.0,
            cpu_seconds: 0.1,
            cores_used: 0.03,
            ops: 40,
            ops_per_sec: 13.0,
            pids: vec![1],
            stopped_early: false,
            spawn: None,
            figures: None,
            extra: Some(Box::new(extra)),
        };
        let asyncio = Extra {
            phases: vec![
                phase("sleeps_concurrent", 0.101, 0.01),
                phase("requests_concurrent", 0.104, 0.03),
                phase("sleeps_sequential", 1.01, 0.01),
                phase("requests_sequential", 1.02, 0.02),
            ],
            threads_peak: Some(1),
            ..Extra::default()
        };
        let texts = result_texts(&result("py-asyncio", asyncio)).unwrap();
        assert_eq!(texts[1], "at once 0.10s · one by one 1.02s · 1 thread");
        let hash = Extra { phases: vec![phase("hash", 2.0, 1.88), phase("pure", 2.0, 0.97)], ..Extra::default() };
        assert_eq!(result_texts(&result("py-hash-threads", hash)).unwrap()[1], "hash 1.88 · pure 0.97 cores");
        let missing = Extra {
            phases: vec![phase("gil", 2.0, 0.98)],
            free_threaded: Some(FreeThreaded { found: false, executable: None, version: None, message: String::new() }),
            ..Extra::default()
        };
        assert!(result_texts(&result("py-nogil", missing)).unwrap()[0].contains("no free-threaded Python found"));
        let found = Extra {
            phases: vec![phase("gil", 2.0, 0.98), phase("nogil", 2.0, 1.9)],
            free_threaded: Some(FreeThreaded {
                found: true,
                executable: Some("/opt/python3.13t".into()),
                version: Some("3.13.1".into()),
                message: String::new(),
            }),
            ..Extra::default()
        };
        assert_eq!(result_texts(&result("py-nogil", found)).unwrap()[1], "GIL 0.98 · no GIL 1.90");
        let plain = DemoResult { extra: None, ..result("cpu-threads", Extra::default()) };
        assert_eq!(result_texts(&plain), None);
    }

    #[test]
    fn zero_workers_is_refused() {
        for kind in DemoKind::EVERY {
            assert!(check(&spec(kind, 0, 10), 0).is_err(), "{kind}");
        }
    }
}
