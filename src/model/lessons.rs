//! The lessons: one guided walk per idea of the seeds, step by step. Each step says what to do
//! (`text`), which keys do it (`keys`), and how the app knows it happened (`check`, evaluated by
//! `app::lab::lessons` from the app's own state: the view, the lab's demos, the samples).
//! Adding a lesson is adding data here: a `Lesson` in `LESSONS`, its steps, their checks. Checks
//! are generic (by demo kind, by screen, by a measured figure against a threshold) so that a new
//! demo kind needs no new check.
//! Plain data; imports nothing of ours but the demo kinds.

use super::demo::DemoKind;

/// One guided walk.
#[derive(Debug)]
pub struct Lesson {
    /// Short, stable, for tests and the index ("gil").
    pub id: &'static str,
    pub title: &'static str,
    /// The seeds' claim this lesson checks, in their words or close to them.
    pub claim: &'static str,
    pub steps: &'static [Step],
    /// What the walk showed, said once every step is done.
    pub moral: &'static str,
}

/// One step: what to do and look at, the keys, and what shows it was done.
#[derive(Debug)]
pub struct Step {
    pub text: &'static str,
    /// The keys, as the help screen names them ("d, then Enter on tt-cpu-threads").
    pub keys: &'static str,
    pub check: Check,
}

/// A screen the app can show, as a check names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    ProcessList,
    /// The process list in tree form (`t`).
    Tree,
    ThreadsView,
    /// The lab's catalogue of demos.
    Lab,
    /// The lab's compare screen (setting up or showing a compare).
    Compare,
}

/// A figure the app measures for the newest demo of a kind (live while it runs, else as it
/// ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Cores its processes use, from the samples (CPU time over wall time).
    CoresInUse,
    /// Operations per second it reports.
    OpsPerSec,
    /// Its processes alive now (zombies included).
    Processes,
    /// Threads of its processes.
    Threads,
    /// The highest WAIT% (runnable, waiting for a core) of its threads, in the threads view or
    /// the lab's watch of it.
    WaitPercent,
    /// A finished spawn-cost's process/thread creation cost ratio.
    SpawnRatio,
    /// Cores the rest of the machine used meanwhile (OTHERS).
    Others,
}

impl Figure {
    /// How the figure is said: "cores in use".
    pub fn name(self) -> &'static str {
        match self {
            Figure::CoresInUse => "cores in use",
            Figure::OpsPerSec => "ops/s",
            Figure::Processes => "processes",
            Figure::Threads => "threads",
            Figure::WaitPercent => "WAIT%",
            Figure::SpawnRatio => "process/thread cost",
            Figure::Others => "others' cores",
        }
    }
}

/// How the app knows a step was done. Evaluated after every key, sample and lab event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    /// Nothing to watch for: Enter in the lesson goes on.
    Read,
    /// The lab's catalogue cursor rests on this kind.
    Selected(DemoKind),
    /// A demo of this kind runs with at least this many workers.
    Running { kind: DemoKind, min_workers: u32 },
    /// A demo of this kind has ended (its time ran out, or it was stopped).
    Finished(DemoKind),
    /// This screen shows.
    Screen(Screen),
    /// The threads view of a running demo of this kind is open.
    ThreadsOf(DemoKind),
    /// The figure of the newest demo of this kind is at least `value`, once measured. Cores
    /// above what the machine has are lowered to fit it (a 1-core machine cannot show 1.5).
    AtLeast { kind: DemoKind, figure: Figure, value: f64 },
    /// ... at most `value`, once it has been measured for a few samples.
    AtMost { kind: DemoKind, figure: Figure, value: f64 },
    /// ... fell by at least `by` from the highest it reached since the step began.
    Fell { kind: DemoKind, figure: Figure, by: f64 },
    /// A process of a demo of this kind was seen in this state letter (Z, D, T, ...).
    StateSeen { kind: DemoKind, state: char },
    /// A compare that ran each of these kinds has finished.
    Compared(&'static [DemoKind]),
}

use Check::*;
use DemoKind::*;

/// Every lesson, in the order the index lists them.
pub static LESSONS: &[Lesson] = &[
    Lesson {
        id: "processes-threads",
        title: "Processes and threads",
        claim: "A process can consist of multiple parallel threads; threads share the address space, \
                processes are independent of each other.",
        steps: &[
            Step {
                text: "In the lab's catalogue, put the cursor on cpu-threads.",
                keys: "Up/Down in the lab",
                check: Selected(CpuThreads),
            },
            Step {
                text: "Give it 2 threads or more and launch it. Its live row appears under the catalogue: \
                       one PID, and its threads below it.",
                keys: "+ for more threads, Enter to launch",
                check: Running { kind: CpuThreads, min_workers: 2 },
            },
            Step {
                text: "Open its threads view: leave the lab, the new process is selected, open it. Each thread \
                       is a row with its own TID under one PID, and one RES for them all: one address space.",
                keys: "d, then Enter on tt-cpu-threads",
                check: ThreadsOf(CpuThreads),
            },
            Step {
                text: "Watch cores in use in the summary line: the threads run at the same time on different \
                       cores, so it climbs towards N (or your core count).",
                keys: "nothing: watch the summary and the core map",
                check: AtLeast { kind: CpuThreads, figure: Figure::CoresInUse, value: 1.5 },
            },
            Step {
                text: "Now the same work in processes: back in the lab, launch cpu-procs with 2 or more. Each \
                       worker is its own PID with its own RES, one thread each.",
                keys: "d, Down to cpu-procs, + and Enter",
                check: AtLeast { kind: CpuProcs, figure: Figure::Processes, value: 2.0 },
            },
            Step {
                text: "Stop both when you have seen enough: the rows go, and OTHERS of the first fell when \
                       the second stopped taking its cores.",
                keys: "X stops every demo",
                check: Finished(CpuProcs),
            },
        ],
        moral: "Threads of one process run in parallel as processes do; what differs is that threads \
                share one address space and processes each have their own.",
    },
    Lesson {
        id: "creation-cost",
        title: "Creating a thread vs creating a process",
        claim: "The creation and management of a thread is less expensive than that of a process.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on spawn-cost. It creates and joins K threads, then creates \
                       and reaps K processes, timing each.",
                keys: "Up/Down in the lab",
                check: Selected(SpawnCost),
            },
            Step {
                text: "Launch it and wait for its result: it runs once and ends in a second or so.",
                keys: "Enter",
                check: Finished(SpawnCost),
            },
            Step {
                text: "Read its RESULT: the cost of one thread, of one process, and their ratio, measured \
                       on this machine.",
                keys: "nothing: read the demos table",
                check: AtLeast { kind: SpawnCost, figure: Figure::SpawnRatio, value: 1.0 },
            },
        ],
        moral: "A new thread only adds a stack and a scheduler entry; a new process copies page tables \
                and file descriptors and must be reaped. How many times dearer depends on the machine.",
    },
    Lesson {
        id: "gil",
        title: "Python's GIL: threads vs processes",
        claim: "Due to the GIL only one thread executes Python code at a time; multiprocessing gives \
                each process its own interpreter.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on py-threads (needs python3).",
                keys: "Up/Down in the lab",
                check: Selected(PyThreads),
            },
            Step {
                text: "Give it 2 threads or more and launch it.",
                keys: "+ then Enter",
                check: Running { kind: PyThreads, min_workers: 2 },
            },
            Step {
                text: "Watch its cores in use: every thread wants the CPU, but the GIL lets one at a time run \
                       Python code, so it stays near 1.",
                keys: "nothing: watch the lab's live rows",
                check: AtMost { kind: PyThreads, figure: Figure::CoresInUse, value: 1.3 },
            },
            Step {
                text: "Now py-procs with as many processes: each has its own interpreter and its own GIL.",
                keys: "x stops py-threads, Down to py-procs, + and Enter",
                check: AtLeast { kind: PyProcs, figure: Figure::CoresInUse, value: 1.5 },
            },
            Step {
                text: "Measure both the same way, one after the other: a compare of py-threads and py-procs \
                       with the same N and duration gives one table of cores and ops/s.",
                keys: "X, then c, Space on py-threads and py-procs, Enter",
                check: Compared(&[PyThreads, PyProcs]),
            },
        ],
        moral: "The GIL serialises Python bytecode, so CPU-bound Python threads use about one core; \
                processes each have their own GIL and use N. I/O and C code that releases the GIL are \
                another story.",
    },
    Lesson {
        id: "concurrency-parallelism",
        title: "Concurrency vs parallelism",
        claim: "Concurrency is tasks that run in overlapping periods; parallelism is tasks that run at \
                the same instant, on several cores.",
        steps: &[
            Step {
                text: "Launch lock-threads: N threads that must hold one lock to compute. All of them make \
                       progress, taking turns: concurrency.",
                keys: "in the lab, Down to lock-threads, Enter",
                check: Running { kind: LockThreads, min_workers: 2 },
            },
            Step {
                text: "Watch its cores in use stay near 1 whatever N: one at a time.",
                keys: "nothing: watch the lab's live rows",
                check: AtMost { kind: LockThreads, figure: Figure::CoresInUse, value: 1.3 },
            },
            Step {
                text: "Stop it and launch cpu-threads with 2 or more: now they run at the same instant on \
                       different cores: parallelism.",
                keys: "x, Up to cpu-threads, + and Enter",
                check: AtLeast { kind: CpuThreads, figure: Figure::CoresInUse, value: 1.5 },
            },
            Step {
                text: "Open its threads view and pin it to one core: the threads can only take turns again.",
                keys: "d, Enter on tt-cpu-threads, a, Space unticks cores until one is left, Enter",
                check: Fell { kind: CpuThreads, figure: Figure::CoresInUse, by: 0.5 },
            },
            Step {
                text: "See the sign of taking turns: WAIT% (runnable, waiting for a core) rises.",
                keys: "nothing: watch WAIT% in the threads view",
                check: AtLeast { kind: CpuThreads, figure: Figure::WaitPercent, value: 25.0 },
            },
        ],
        moral: "On one core threads are only concurrent; on several they are parallel too. A lock (or \
                the GIL) makes parallel threads merely concurrent.",
    },
    Lesson {
        id: "cpu-io-bound",
        title: "CPU-bound vs I/O-bound",
        claim: "Threads suit I/O: while one waits, the others go on; CPU-bound work needs cores.",
        steps: &[
            Step {
                text: "Launch io-threads: N threads that mostly wait on a timer.",
                keys: "in the lab, Down to io-threads, Enter",
                check: Running { kind: IoThreads, min_workers: 2 },
            },
            Step {
                text: "Watch it: many threads, nearly all asleep (S), and the process near no CPU at all.",
                keys: "nothing: watch the lab's live rows",
                check: AtMost { kind: IoThreads, figure: Figure::CoresInUse, value: 0.3 },
            },
            Step {
                text: "Open its threads view: VCSW/s is high (each wait gives the CPU up), NVCSW/s near 0.",
                keys: "d, Enter on tt-io-threads",
                check: ThreadsOf(IoThreads),
            },
            Step {
                text: "Measure both kinds the same way: a compare of io-threads and cpu-threads.",
                keys: "X, d, c, Space on io-threads and cpu-threads, Enter",
                check: Compared(&[IoThreads, CpuThreads]),
            },
        ],
        moral: "Waiting costs no CPU: I/O-bound threads need concurrency, not cores. CPU-bound threads \
                need a core each to go faster.",
    },
    Lesson {
        id: "zombie",
        title: "The zombie: the end of a process's life",
        claim: "A process's life ends at Exit; until its parent collects the exit status, it stays a \
                zombie.",
        steps: &[
            Step {
                text: "Launch zombie: a child that exits at once, and a parent that does not wait for it.",
                keys: "in the lab, Down to zombie, Enter",
                check: Running { kind: Zombie, min_workers: 1 },
            },
            Step {
                text: "See the child in state Z in the live rows: no memory, no CPU, only a PID and an exit \
                       status waiting to be collected.",
                keys: "nothing: watch the S column",
                check: StateSeen { kind: Zombie, state: 'Z' },
            },
            Step {
                text: "See it under its parent in the process list's tree.",
                keys: "d, then t",
                check: Screen(Screen::Tree),
            },
            Step {
                text: "Stop the demo: the parent reaps its child and the Z row disappears.",
                keys: "X",
                check: Finished(Zombie),
            },
        ],
        moral: "Exit is not the end: the kernel keeps the exit status until the parent waits. A parent \
                that never does leaves zombies; when it dies, PID 1 adopts and reaps them.",
    }, // lab-python: the GIL's limits (py-threads vs py-hash-threads vs py-asyncio), the life cycle.
    Lesson {
        id: "gil-limits",
        title: "What the GIL stops, and what it does not",
        claim: "Due to the GIL, in Python there is no multithreading: threads cannot use several cores.",
        steps: &[
            Step {
                text: "Launch py-threads with 2 threads or more: pure-Python arithmetic. Its cores in use \
                       stays near 1: the GIL lets one thread at a time run Python bytecode.",
                keys: "in the lab, Down to py-threads, + and Enter",
                check: AtMost { kind: PyThreads, figure: Figure::CoresInUse, value: 1.3 },
            },
            Step {
                text: "Stop it and launch py-hash-threads with as many threads. For its first half they hash \
                       256 KiB buffers with hashlib, whose C code lets go of the GIL: cores in use climbs \
                       towards N, Python threads in parallel.",
                keys: "x, Down to py-hash-threads, + and Enter",
                check: AtLeast { kind: PyHashThreads, figure: Figure::CoresInUse, value: 1.5 },
            },
            Step {
                text: "Keep watching: for its second half the same threads do pure-Python arithmetic, and \
                       cores in use falls back to about 1.",
                keys: "nothing: watch the lab's live rows",
                check: Fell { kind: PyHashThreads, figure: Figure::CoresInUse, by: 0.4 },
            },
            Step {
                text: "Now py-asyncio: one thread runs N sleeps and N loopback requests at once, then one by \
                       one. It runs once, for a few seconds.",
                keys: "X, Up to py-asyncio, Enter",
                check: Running { kind: PyAsyncio, min_workers: 2 },
            },
            Step {
                text: "Read its RESULT when it ends: N waits at once took about one wait, one by one N waits; \
                       one thread, and nearly no core: concurrency without threads.",
                keys: "nothing: read the demos table",
                check: Finished(PyAsyncio),
            },
            Step {
                text: "Last, py-nogil runs py-threads' work under python3 and then under a free-threaded \
                       Python (3.13t and later), if this machine has one; its RESULT puts the two side by \
                       side, or says none was found and how to get one.",
                keys: "Down to py-nogil, Enter, and wait for its RESULT",
                check: Finished(PyNogil),
            },
        ],
        moral: "The GIL serialises Python bytecode, not C code that releases it (hashlib, zlib, numpy, \
                I/O) nor waiting: Python threads can use several cores, asyncio needs none for waiting, \
                and a free-threaded build drops the GIL altogether.",
    },
    Lesson {
        id: "life-cycle",
        title: "A process's life cycle",
        claim: "Process life cycle: Start -> Ready -> Running -> Waiting -> Exit.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on lifecycle: one process that spends about 2 s in each \
                       state.",
                keys: "Up/Down in the lab",
                check: Selected(Lifecycle),
            },
            Step {
                text: "Launch it. The status line names each step as it comes and what to look at.",
                keys: "Enter",
                check: Running { kind: Lifecycle, min_workers: 1 },
            },
            Step {
                text: "Running: it spins on the CPU, state R. (Ready is R too: runnable, waiting for a core; \
                       WAIT% in the threads view measures that part.)",
                keys: "nothing: watch the S column of its live row",
                check: StateSeen { kind: Lifecycle, state: 'R' },
            },
            Step {
                text: "Waiting: it sleeps on a timer, state S, then waits for the disk to take its writes, \
                       state D (brief on a fast disk).",
                keys: "nothing: watch the S column",
                check: StateSeen { kind: Lifecycle, state: 'S' },
            },
            Step {
                text: "Stopped: threadtop sends it SIGSTOP, state T, and SIGCONT two seconds later. Not in \
                       the seeds' cycle: a process can also be put aside by a signal.",
                keys: "nothing: watch the S column",
                check: StateSeen { kind: Lifecycle, state: 'T' },
            },
            Step {
                text: "Exit: it ends, but stays a zombie, state Z, until its parent (threadtop) collects its \
                       exit status, a step later.",
                keys: "nothing: watch the S column",
                check: StateSeen { kind: Lifecycle, state: 'Z' },
            },
            Step {
                text: "Reaped: the row is gone. Its RESULT lists the letters threadtop read every 10 ms in \
                       each step.",
                keys: "nothing: read the demos table",
                check: Finished(Lifecycle),
            },
        ],
        moral: "The states are real and visible: R (running or ready), S and D (waiting, on a timer or \
                on the disk), T (stopped), Z (exited, not yet reaped); Exit is complete only once the \
                parent has waited.",
    },
    // The lessons of the memory, race, switch-cost, ipc and real-io demos (lab-demos).
    Lesson {
        id: "memory-sharing",
        title: "Sharing memory: threads, processes, fork",
        claim: "Threads share the address space and the data structures; processes do not share \
                memory.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on memory. It holds 64 MiB buffers in four steps, each \
                       measured from /proc/PID/smaps_rollup.",
                keys: "Up/Down in the lab",
                check: Selected(Memory),
            },
            Step {
                text: "Launch it with 2 or more. First, N threads of tt-memory write one buffer: its live row \
                       shows one process and a RES of about 64 MiB for all the threads together.",
                keys: "+ then Enter",
                check: Running { kind: Memory, min_workers: 2 },
            },
            Step {
                text: "Next N processes tt-mem-own-I appear, each with a RES of about 64 MiB of its own: N \
                       copies of the same data.",
                keys: "nothing: watch the live rows",
                check: AtLeast { kind: Memory, figure: Figure::Processes, value: 3.0 },
            },
            Step {
                text: "Then N children tt-mem-shr-I forked from a parent holding the buffer only read it: RES \
                       still says 64 MiB each, but they share the pages, and the RESULT's PSS says 64/N each. \
                       When they write (tt-mem-cow-I), copy-on-write gives each its own copy. Wait for the \
                       end and read the RESULT (threadtop demo memory prints the table).",
                keys: "nothing: watch, then read the demos table",
                check: Finished(Memory),
            },
        ],
        moral: "RES (RSS) counts every page a process maps, shared or not, so summing it lies about \
                shared memory; PSS divides shared pages among their users. Threads share one copy, \
                processes have their own, and fork shares until someone writes.",
    },
    Lesson {
        id: "race",
        title: "Race conditions: lost updates",
        claim: "If multiple threads access the same data object, it may end up in an inconsistent state.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on race: N threads each add 1 to one counter ten million \
                       times, four ways.",
                keys: "Up/Down in the lab",
                check: Selected(Race),
            },
            Step {
                text: "Launch it with 2 threads or more.",
                keys: "Enter (+ for more threads)",
                check: Running { kind: Race, min_workers: 2 },
            },
            Step {
                text: "Read the RESULT as the ways end: unsynchronised (load, then store) loses updates; \
                       pinned to one core it loses few or none, since only a switch between a load and \
                       its store loses anything (but then a whole lump); atomic and mutex lose none, at a \
                       price in ns.",
                keys: "nothing: read the demos table",
                check: Finished(Race),
            },
        ],
        moral: "A read-modify-write of shared data by several threads loses updates unless it is one \
                atomic operation or done under a lock. One core does not make it safe, only rarer.",
    },
    Lesson {
        id: "switch-cost",
        title: "Switching between threads vs between processes",
        claim: "A process takes more time to switch than a thread.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on switch-cost: two threads, then two processes, pass a \
                       byte back and forth over pipes, on one core and on two.",
                keys: "Up/Down in the lab",
                check: Selected(SwitchCost),
            },
            Step {
                text: "Launch it and open the threads view of tt-switch-cost: its ping and pong threads \
                       switch tens of thousands of times a second (VCSW/s, NVCSW/s).",
                keys: "Enter, d, Enter on tt-switch-cost",
                check: ThreadsOf(SwitchCost),
            },
            Step {
                text: "Wait for the end and compare µs per round trip: threads and processes come out about \
                       the same on Linux; crossing cores costs more than either.",
                keys: "nothing: read the demos table in the lab (d)",
                check: Finished(SwitchCost),
            },
        ],
        moral: "Linux switches threads and processes through the same scheduler path; only the \
                address-space switch differs, and tagged TLBs make it cheap. Measure before believing \
                the textbook.",
    },
    Lesson {
        id: "ipc",
        title: "How threads and processes talk",
        claim: "Threads communicate through shared variables; processes need message passing or shared \
                memory.",
        steps: &[
            Step {
                text: "In the lab, put the cursor on ipc: the same messages through a channel between \
                       threads, a pipe to a child process, and a ring in memory shared with a child.",
                keys: "Up/Down in the lab",
                check: Selected(Ipc),
            },
            Step {
                text: "Launch it: watch tt-ipc-pipe and tt-ipc-ring come and go as their turns come.",
                keys: "Enter",
                check: Running { kind: Ipc, min_workers: 2 },
            },
            Step {
                text: "Read the RESULT: MB/s and µs per message of each way, 64 B and 64 KiB messages.",
                keys: "nothing: read the demos table",
                check: Finished(Ipc),
            },
        ],
        moral: "A pipe copies every byte through the kernel; memory shared between processes is as fast \
                as threads' shared memory, once the processes do the synchronisation themselves.",
    },
    Lesson {
        id: "real-io",
        title: "Real I/O: threads that wait together",
        claim: "Python threads are much suited for IO operations: while one waits, the others go on.",
        steps: &[
            Step {
                text: "In the lab, launch real-io: N threads each fsync a write in the temp dir and ask a \
                       loopback server that answers after 100 ms; then one thread does it all in a row.",
                keys: "Down to real-io, Enter",
                check: Running { kind: RealIo, min_workers: 2 },
            },
            Step {
                text: "Its cores in use stays near zero: waiting for a disk or a reply costs no CPU.",
                keys: "nothing: watch the live rows",
                check: AtMost { kind: RealIo, figure: Figure::CoresInUse, value: 0.3 },
            },
            Step {
                text: "Read the RESULT: the threads' wall time is about one thread's share, the sequential \
                       run about N times that.",
                keys: "nothing: read the demos table",
                check: Finished(RealIo),
            },
        ],
        moral: "I/O-bound work overlaps its waits in threads, even on one core: concurrency without \
                parallelism.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_has_steps_and_words_and_ids_are_unique() {
        let mut ids: Vec<&str> = LESSONS.iter().map(|l| l.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), LESSONS.len(), "two lessons share an id");
        for l in LESSONS {
            assert!(!l.steps.is_empty() && !l.title.is_empty() && !l.claim.is_empty() && !l.moral.is_empty());
            for s in l.steps {
                assert!(!s.text.is_empty() && !s.keys.is_empty(), "{}", l.id);
            }
        }
    }

    #[test]
    fn figure_checks_have_thresholds_that_can_be_met() {
        for l in LESSONS {
            for s in l.steps {
                match s.check {
                    AtLeast { value, .. } | AtMost { value, .. } => assert!(value > 0.0, "{}", l.id),
                    Fell { by, .. } => assert!(by > 0.0, "{}", l.id),
                    Compared(kinds) => assert!((2..=3).contains(&kinds.len()), "{}", l.id),
                    _ => {}
                }
            }
        }
    }
}
