//! The parent/child tree: orders processes depth-first with guide lines. Pure.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::collect::model::{Pid, ProcessSample};

/// One line of the tree: which process, how deep, and the guide drawn before its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    pub index: usize,
    pub depth: u16,
    /// e.g. `│  ├─ ` (empty for roots).
    pub prefix: String,
    pub has_children: bool,
    pub collapsed: bool,
}

/// Orders `include` (indices into `procs`) as a tree. A process whose parent is not included
/// (PID 1, kthreadd, orphans, or a parent hidden by a filter) becomes a root. Siblings follow
/// `sort`. Children of a collapsed PID are left out. Never loops, whatever the ppid data says.
/// Siblings are ordered by `order` (the list's sort column).
pub fn build(
    procs: &[ProcessSample],
    include: &[usize],
    order: impl Fn(&ProcessSample, &ProcessSample) -> Ordering,
    collapsed: &HashSet<Pid>,
) -> Vec<TreeLine> {
    let by_pid: HashMap<Pid, usize> = include.iter().map(|&i| (procs[i].pid, i)).collect();
    let mut children: HashMap<Pid, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for &i in include {
        let p = &procs[i];
        if p.ppid != p.pid && by_pid.contains_key(&p.ppid) {
            children.entry(p.ppid).or_default().push(i);
        } else {
            roots.push(i);
        }
    }
    let by = |a: &usize, b: &usize| order(&procs[*a], &procs[*b]);
    roots.sort_by(by);
    for list in children.values_mut() {
        list.sort_by(by);
    }

    let mut out = Vec::with_capacity(include.len());
    let mut visited: HashSet<usize> = HashSet::with_capacity(include.len());
    // Each stack entry: (index, depth, guides of its ancestors, is_last_sibling).
    let mut stack: Vec<(usize, u16, String, bool)> = Vec::new();
    for (n, &r) in roots.iter().enumerate().rev() {
        stack.push((r, 0, String::new(), n + 1 == roots.len()));
    }
    let emit_all =
        |stack: &mut Vec<(usize, u16, String, bool)>, out: &mut Vec<TreeLine>, visited: &mut HashSet<usize>| {
            while let Some((i, depth, guides, last)) = stack.pop() {
                if !visited.insert(i) {
                    continue;
                }
                let pid = procs[i].pid;
                let kids = children.get(&pid).map(|v| v.as_slice()).unwrap_or(&[]);
                let is_collapsed = !kids.is_empty() && collapsed.contains(&pid);
                let prefix = if depth == 0 {
                    String::new()
                } else {
                    let branch = match (last, is_collapsed) {
                        (true, true) => "└+ ",
                        (false, true) => "├+ ",
                        (true, false) => "└─ ",
                        (false, false) => "├─ ",
                    };
                    format!("{guides}{branch}")
                };
                out.push(TreeLine { index: i, depth, prefix, has_children: !kids.is_empty(), collapsed: is_collapsed });
                if is_collapsed {
                    // Mark the hidden descendants as seen so the cycle fallback below skips them.
                    let mut hidden: Vec<usize> = kids.to_vec();
                    while let Some(h) = hidden.pop() {
                        if visited.insert(h) {
                            hidden.extend(children.get(&procs[h].pid).map(|v| v.as_slice()).unwrap_or(&[]));
                        }
                    }
                    continue;
                }
                let child_guides =
                    if depth == 0 { String::new() } else { format!("{guides}{}", if last { "   " } else { "│  " }) };
                for (n, &k) in kids.iter().enumerate().rev() {
                    stack.push((k, depth.saturating_add(1), child_guides.clone(), n + 1 == kids.len()));
                }
            }
        };
    emit_all(&mut stack, &mut out, &mut visited);
    // Processes caught in a ppid cycle are reachable from no root: show them flat, not lose them.
    for &i in include {
        if !visited.contains(&i) {
            stack.push((i, 0, String::new(), true));
            emit_all(&mut stack, &mut out, &mut visited);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::table::{Column, SortSpec, compare};

    fn p(pid: Pid, ppid: Pid) -> ProcessSample {
        ProcessSample {
            pid,
            ppid,
            name: format!("p{pid}").into(),
            cmdline: format!("p{pid}").into(),
            ..Default::default()
        }
    }

    fn lines(procs: &[ProcessSample], collapsed: &HashSet<Pid>) -> Vec<(Pid, String)> {
        let include: Vec<usize> = (0..procs.len()).collect();
        build(procs, &include, |a, b| compare(a, b, SortSpec::by(Column::Pid)), collapsed)
            .into_iter()
            .map(|l| (procs[l.index].pid, l.prefix))
            .collect()
    }

    #[test]
    fn pid1_children_and_guides() {
        let procs = vec![p(1, 0), p(10, 1), p(11, 10), p(12, 10), p(20, 1), p(2, 0), p(3, 2)];
        let got = lines(&procs, &HashSet::new());
        let want: Vec<(Pid, String)> = vec![
            (1, "".into()),
            (10, "├─ ".into()),
            (11, "│  ├─ ".into()),
            (12, "│  └─ ".into()),
            (20, "└─ ".into()),
            (2, "".into()),
            (3, "└─ ".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn orphans_become_roots() {
        // 50's parent 40 is not in the list (exited, or filtered out).
        let procs = vec![p(1, 0), p(50, 40), p(51, 50)];
        let got = lines(&procs, &HashSet::new());
        assert_eq!(got, vec![(1, "".into()), (50, "".into()), (51, "└─ ".into())]);
    }

    #[test]
    fn collapsed_branch_hides_children() {
        let procs = vec![p(1, 0), p(10, 1), p(11, 10), p(20, 1)];
        let got = lines(&procs, &HashSet::from([10]));
        assert_eq!(got, vec![(1, "".into()), (10, "├+ ".into()), (20, "└─ ".into())]);
    }

    #[test]
    fn cycles_do_not_hang_or_lose_rows() {
        let procs = vec![p(5, 6), p(6, 5), p(7, 7)];
        let got = lines(&procs, &HashSet::new());
        let mut pids: Vec<Pid> = got.iter().map(|(p, _)| *p).collect();
        pids.sort();
        assert_eq!(pids, vec![5, 6, 7]);
    }

    #[test]
    fn siblings_follow_sort_order() {
        let mut procs = vec![p(1, 0), p(10, 1), p(11, 1)];
        procs[1].cpu_percent = 1.0;
        procs[2].cpu_percent = 50.0;
        let include = vec![0, 1, 2];
        let got: Vec<Pid> = build(&procs, &include, |a, b| compare(a, b, SortSpec::by(Column::Cpu)), &HashSet::new())
            .iter()
            .map(|l| procs[l.index].pid)
            .collect();
        assert_eq!(got, vec![1, 11, 10]);
    }
}
