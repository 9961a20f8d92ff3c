//! System-wide figures: per-CPU times from `/proc/stat` (hand-parsed, under the proc root), memory,
//! swap, load and uptime from sysinfo, and the machine's identity read once. Imports only
//! `collect`'s own modules: no `app`, `ui`, `lab`, the lab's data (`crate::model::{demo,
//! experiment}`), ratatui or crossterm.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use super::model::{CpuCounters, CpuTimes, Identity, SystemSample};
use super::procfs::parse_u64;

/// One `cpu` line of `/proc/stat`, in clock ticks since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTicks {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTicks {
    /// guest and guest_nice are left out: the kernel already counts them in user and nice.
    pub fn total(&self) -> u64 {
        [self.user, self.nice, self.system, self.idle, self.iowait, self.irq, self.softirq, self.steal]
            .iter()
            .fold(0u64, |a, &b| a.saturating_add(b))
    }
}

/// What threadtop reads from `/proc/stat`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcStat {
    /// The aggregate `cpu` line.
    pub total: Option<CpuTicks>,
    /// Indexed by the kernel's CPU number; None for a number with no line (offline CPU).
    pub cpus: Vec<Option<CpuTicks>>,
    /// Boot time, seconds since the epoch.
    pub btime: Option<u64>,
    /// Tasks (threads included) runnable right now.
    pub procs_running: Option<u32>,
    pub procs_blocked: Option<u32>,
}

/// Parses `/proc/stat` into `out`, reusing its vector. Unknown and malformed lines are skipped.
pub fn parse_proc_stat(buf: &[u8], out: &mut ProcStat) {
    out.total = None;
    out.cpus.clear();
    out.btime = None;
    out.procs_running = None;
    out.procs_blocked = None;
    for line in buf.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
        let Some(key) = fields.next() else { continue };
        if let Some(num) = key.strip_prefix(b"cpu") {
            let mut v = [0u64; 8];
            let mut n = 0;
            for (slot, f) in v.iter_mut().zip(fields) {
                match parse_u64(f) {
                    Some(x) => *slot = x,
                    None => break,
                }
                n += 1;
            }
            // user, nice, system, idle exist on every kernel; later columns may not.
            if n < 4 {
                continue;
            }
            let ticks = CpuTicks {
                user: v[0],
                nice: v[1],
                system: v[2],
                idle: v[3],
                iowait: v[4],
                irq: v[5],
                softirq: v[6],
                steal: v[7],
            };
            if num.is_empty() {
                out.total = Some(ticks);
            } else if let Some(i) = parse_u64(num).and_then(|i| usize::try_from(i).ok())
                && i < 65_536
            {
                if out.cpus.len() <= i {
                    out.cpus.resize(i + 1, None);
                }
                out.cpus[i] = Some(ticks);
            }
        } else if key == b"btime" {
            out.btime = fields.next().and_then(parse_u64);
        } else if key == b"procs_running" {
            out.procs_running = fields.next().and_then(parse_u64).and_then(|v| u32::try_from(v).ok());
        } else if key == b"procs_blocked" {
            out.procs_blocked = fields.next().and_then(parse_u64).and_then(|v| u32::try_from(v).ok());
        }
    }
}

/// Percent of the interval spent in each state, from two readings of one CPU. Counters that
/// went backwards (some hypervisors do that with iowait) count as 0.
pub fn cpu_times(prev: &CpuTicks, cur: &CpuTicks) -> CpuTimes {
    let d = |a: u64, b: u64| b.saturating_sub(a);
    let parts = CpuTicks {
        user: d(prev.user, cur.user),
        nice: d(prev.nice, cur.nice),
        system: d(prev.system, cur.system),
        idle: d(prev.idle, cur.idle),
        iowait: d(prev.iowait, cur.iowait),
        irq: d(prev.irq, cur.irq),
        softirq: d(prev.softirq, cur.softirq),
        steal: d(prev.steal, cur.steal),
    };
    let total = parts.total();
    if total == 0 {
        return CpuTimes::default();
    }
    let pct = |v: u64| (v as f64 / total as f64 * 100.0) as f32;
    CpuTimes {
        user: pct(parts.user),
        nice: pct(parts.nice),
        system: pct(parts.system),
        irq: pct(parts.irq.saturating_add(parts.softirq)),
        iowait: pct(parts.iowait),
        steal: pct(parts.steal),
    }
}

/// The machine's identity, read once per process and shared.
pub fn identity() -> Arc<Identity> {
    static IDENTITY: OnceLock<Arc<Identity>> = OnceLock::new();
    IDENTITY.get_or_init(|| Arc::new(read_identity())).clone()
}

fn read_identity() -> Identity {
    let sys = System::new_with_specifics(
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()).with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let (cpu_model, logical, memory_bytes) = match &sys {
        Some(s) => (
            s.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_default(),
            s.cpus().len(),
            s.total_memory(),
        ),
        None => (String::new(), 0, 0),
    };
    let logical_cores = if logical > 0 { logical } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    let os = match (System::name(), System::os_version()) {
        (Ok(name), Ok(version)) => format!("{name} {version}"),
        (Ok(name), Err(_)) => name,
        _ => "Linux".to_string(),
    };
    Identity {
        cpu_model: if cpu_model.is_empty() { "unknown CPU".to_string() } else { cpu_model },
        physical_cores: System::physical_core_count().ok(),
        logical_cores,
        os,
        kernel: System::kernel_version().unwrap_or_default(),
        arch: System::cpu_arch(),
        hostname: System::host_name().unwrap_or_default(),
        memory_bytes,
    }
}

fn counters(t: CpuTicks) -> CpuCounters {
    CpuCounters {
        user: t.user,
        nice: t.nice,
        system: t.system,
        idle: t.idle,
        iowait: t.iowait,
        irq: t.irq,
        softirq: t.softirq,
        steal: t.steal,
    }
}

/// The system half of a sample: CPU times from the proc root's `stat`, the rest from sysinfo.
pub struct SystemReader {
    sys: Option<System>,
    identity: Arc<Identity>,
    prev: ProcStat,
    cur: ProcStat,
}

/// One system reading. The task counts in `sample` are left at 0 for the sampler to fill.
#[derive(Clone, Debug, Default)]
pub struct SystemRead {
    pub sample: SystemSample,
    pub boot_time: Option<u64>,
    pub procs_running: Option<u32>,
}

impl Default for SystemReader {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemReader {
    pub fn new() -> Self {
        Self { sys: System::new().ok(), identity: identity(), prev: ProcStat::default(), cur: ProcStat::default() }
    }

    /// Builds the system sample from `/proc/stat`'s bytes (None if unreadable) and sysinfo.
    /// The first reading compares against boot, so it shows the average since boot.
    pub fn read(&mut self, proc_stat: Option<&[u8]>) -> SystemRead {
        std::mem::swap(&mut self.prev, &mut self.cur);
        match proc_stat {
            Some(buf) => parse_proc_stat(buf, &mut self.cur),
            None => self.cur = ProcStat::default(),
        }
        let zero = CpuTicks::default();
        let cpus = self
            .cur
            .cpus
            .iter()
            .enumerate()
            .map(|(i, cur)| match cur {
                Some(cur) => {
                    let prev = self.prev.cpus.get(i).copied().flatten().unwrap_or(zero);
                    cpu_times(&prev, cur)
                }
                None => CpuTimes::default(),
            })
            .collect();
        let total = match self.cur.total {
            Some(cur) => cpu_times(&self.prev.total.unwrap_or(zero), &cur),
            None => CpuTimes::default(),
        };

        let (mem_total, mem_used, swap_total, swap_used) = match &mut self.sys {
            Some(sys) => {
                sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram().with_swap());
                (sys.total_memory(), sys.used_memory(), sys.total_swap(), sys.used_swap())
            }
            None => (0, 0, 0, 0),
        };
        let load = System::load_average().map(|l| [l.one, l.five, l.fifteen]).unwrap_or_default();
        let uptime = Duration::from_secs(System::uptime().unwrap_or(0));
        SystemRead {
            sample: SystemSample {
                identity: self.identity.clone(),
                cpus,
                total,
                mem_total,
                mem_used,
                swap_total,
                swap_used,
                load,
                uptime,
                blocked: self.cur.procs_blocked,
                cpu_ticks: self.cur.cpus.iter().map(|c| c.map(counters)).collect(),
                ticks_per_second: crate::collect::procfs::clock_ticks_per_second(),
                ..SystemSample::default()
            },
            boot_time: self.cur.btime.or_else(|| System::boot_time().ok()),
            procs_running: self.cur.procs_running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &[u8] = b"cpu  100 10 50 800 20 5 5 10 0 0\n\
cpu0 50 5 25 400 10 3 2 5 0 0\n\
cpu2 50 5 25 400 10 2 3 5 0 0\n\
intr 12345 0 0\n\
ctxt 999\n\
btime 1700000000\n\
processes 4242\n\
procs_running 3\n\
procs_blocked 0\n";

    #[test]
    fn parses_proc_stat_with_a_gap() {
        let mut ps = ProcStat::default();
        parse_proc_stat(STAT, &mut ps);
        assert_eq!(ps.total.unwrap().user, 100);
        assert_eq!(ps.total.unwrap().total(), 1000);
        assert_eq!(ps.cpus.len(), 3);
        assert!(ps.cpus[1].is_none());
        assert_eq!(ps.cpus[2].unwrap().softirq, 3);
        assert_eq!(ps.btime, Some(1_700_000_000));
        assert_eq!(ps.procs_running, Some(3));
        assert_eq!(ps.procs_blocked, Some(0));
    }

    #[test]
    fn old_kernel_short_lines_and_garbage() {
        let mut ps = ProcStat::default();
        parse_proc_stat(b"cpu 1 2 3 4\ncpu0 1 2\ncpuX 1 2 3 4\nbtime x\n\xff\n", &mut ps);
        assert_eq!(ps.total.unwrap().idle, 4);
        assert_eq!(ps.total.unwrap().steal, 0);
        assert!(ps.cpus.is_empty());
        assert_eq!(ps.btime, None);
        parse_proc_stat(b"", &mut ps);
        assert_eq!(ps, ProcStat::default());
        parse_proc_stat(b"cpu99999999999999999999 1 2 3 4\n", &mut ps);
        assert!(ps.cpus.is_empty());
    }

    #[test]
    fn cpu_percentages_from_deltas() {
        let prev = CpuTicks { user: 100, idle: 100, ..CpuTicks::default() };
        let cur = CpuTicks { user: 150, system: 10, idle: 130, irq: 2, softirq: 3, steal: 5, ..CpuTicks::default() };
        let t = cpu_times(&prev, &cur);
        // Δ total = 50 + 10 + 30 + 2 + 3 + 5 = 100
        assert_eq!(t.user, 50.0);
        assert_eq!(t.system, 10.0);
        assert_eq!(t.irq, 5.0);
        assert_eq!(t.steal, 5.0);
        assert_eq!(t.busy(), 70.0);
        // No time passed, or counters went backwards: zeros, never NaN or negatives.
        assert_eq!(cpu_times(&cur, &cur), CpuTimes::default());
        assert_eq!(cpu_times(&cur, &prev), CpuTimes::default());
    }

    #[test]
    fn reader_first_sample_is_since_boot_then_deltas() {
        let mut r = SystemReader::new();
        let first = r.read(Some(STAT));
        assert_eq!(first.sample.cpus.len(), 3);
        assert_eq!(first.sample.total.user, 10.0);
        assert_eq!(first.boot_time, Some(1_700_000_000));
        let next = b"cpu  200 10 50 800 20 5 5 10 0 0\ncpu0 150 5 25 400 10 3 2 5 0 0\n";
        let second = r.read(Some(next));
        assert_eq!(second.sample.total.user, 100.0);
        assert_eq!(second.sample.cpus[0].user, 100.0);
        let none = r.read(None);
        assert!(none.sample.cpus.is_empty());
    }

    #[test]
    fn identity_is_sane_and_shared() {
        let a = identity();
        let b = identity();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.logical_cores >= 1);
        assert!(!a.arch.is_empty());
        assert!(a.memory_bytes > 0);
    }
}
