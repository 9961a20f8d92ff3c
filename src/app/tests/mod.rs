//! The app's unit tests: list, threads view and sorting here; acting on processes and the trust
//! fixes in `acting`.

mod acting;
mod stack;

use std::sync::Arc;

use super::fixtures::{focus_worker, process, snapshot};
use super::*;
use crate::app::table::{Column, SortSpec};
use crate::collect::model::{FocusSample, Pid, Snapshot};

pub(super) fn app() -> App {
    let mut app = App::new(Options::default(), KeyHelp::default(), LabState::new(Vec::new()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    app
}

pub(super) fn pids(app: &App) -> Vec<Pid> {
    app.list.rows.iter().map(|r| r.id.pid).collect()
}

pub(super) fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    app.update(Action::Cmd(c))
}

pub(super) fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Action::Text(TextInput::Char(c)));
    }
}

#[test]
fn kernel_threads_hidden_until_k() {
    let mut app = app();
    assert!(!pids(&app).contains(&2) && !pids(&app).contains(&12));
    cmd(&mut app, Command::ToggleKernel);
    assert!(pids(&app).contains(&2) && pids(&app).contains(&12));
}

#[test]
fn default_sort_is_cpu_descending_with_pid_tiebreak() {
    let app = app();
    // worker 180%, sshd-session 2%, bash 0.3%, then init and sshd at 0% by ascending PID.
    assert_eq!(pids(&app), vec![300, 401, 200, 1, 400]);
}

#[test]
fn sort_by_every_column_is_total_and_invertible() {
    let mut app = app();
    for col in Column::ALL {
        app.list.sort = SortSpec::by(col);
        app.rebuild_rows();
        let a = pids(&app);
        assert_eq!(a.len(), 5, "{col:?}");
        cmd(&mut app, Command::InvertSort);
        let mut b = pids(&app);
        b.reverse();
        // Inverting reverses the order except among ties, which stay by ascending PID.
        let sorted = |mut v: Vec<Pid>| {
            v.sort();
            v
        };
        assert_eq!(sorted(a.clone()), sorted(b.clone()), "{col:?}");
        if matches!(col, Column::Pid | Column::Res | Column::Mem | Column::Time | Column::Command) {
            assert_eq!(a, b, "{col:?} has no ties in the fixture, so invert reverses it");
        }
    }
}

#[test]
fn sort_keys_select_columns() {
    let mut app = app();
    cmd(&mut app, Command::SortMem);
    assert_eq!(app.list.sort, SortSpec { column: Column::Mem, descending: true });
    assert_eq!(pids(&app)[0], 300);
    cmd(&mut app, Command::SortPid);
    assert_eq!(pids(&app), vec![1, 200, 300, 400, 401]);
    cmd(&mut app, Command::SortTime);
    assert_eq!(app.list.sort.column, Column::Time);
    cmd(&mut app, Command::SortNext);
    assert_eq!(app.list.sort.column, Column::Command);
    cmd(&mut app, Command::SortPrev);
    cmd(&mut app, Command::SortPrev);
    assert_eq!(app.list.sort.column, Column::Threads);
}

#[test]
fn sort_menu_picks_a_column() {
    let mut app = app();
    cmd(&mut app, Command::SortMenu);
    assert!(matches!(app.overlay, Some(Overlay::SortMenu { .. })));
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Enter);
    assert_eq!(app.overlay, None);
    assert_eq!(app.list.sort.column, Column::Pid);
}

#[test]
fn selection_follows_pid_across_resorts_and_refreshes() {
    let mut app = app();
    cmd(&mut app, Command::Down); // sshd-session (401)
    assert_eq!(app.selected_pid(), Some(401));
    cmd(&mut app, Command::SortPid);
    assert_eq!(app.selected_pid(), Some(401));
    assert_eq!(app.list.selected, 4);
    // A refresh where 401's CPU changes keeps it selected.
    let mut s = snapshot(2);
    s.processes.iter_mut().filter(|p| p.pid == 401).for_each(|p| p.cpu_percent = 99.0);
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.selected_pid(), Some(401));
}

#[test]
fn selection_moves_to_neighbour_when_process_exits() {
    let mut app = app();
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down); // 300
    assert_eq!(app.selected_pid(), Some(300));
    let mut s = snapshot(2);
    s.processes.retain(|p| p.pid != 300);
    app.update(Action::Sample(Arc::new(s)));
    // The row that took its place: 400.
    assert_eq!(app.selected_pid(), Some(400));
    // And the last row exiting moves the selection up.
    cmd(&mut app, Command::End);
    let mut s = snapshot(3);
    s.processes.retain(|p| p.pid != 300 && p.pid != 401);
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.selected_pid(), Some(400));
}

#[test]
fn empty_list_is_safe() {
    let mut app = App::new(Options::default(), KeyHelp::default(), LabState::new(Vec::new()));
    for &c in Command::ALL {
        if c != Command::Quit {
            app.update(Action::Cmd(c));
            app.overlay = None;
            app.view = View::Processes;
        }
    }
    app.update(Action::Sample(Arc::new(Snapshot::default())));
    assert!(app.list.rows.is_empty());
    assert_eq!(app.selected_pid(), None);
}

#[test]
fn filter_matches_name_and_command_case_insensitively() {
    let mut app = app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "SSHD");
    assert_eq!(pids(&app), vec![401, 400]);
    app.update(Action::Text(TextInput::Confirm));
    assert_eq!(app.prompt, None);
    assert_eq!(pids(&app), vec![401, 400], "the filter stays after Enter");
    cmd(&mut app, Command::Back);
    assert_eq!(pids(&app).len(), 5, "Esc clears it");
    // Matching the command line, not only the name.
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "--FLAG");
    assert_eq!(pids(&app).len(), 5);
    app.update(Action::Text(TextInput::Cancel));
    assert!(app.list.filter.is_empty());
}

#[test]
fn incremental_search_jumps_and_next_wraps() {
    let mut app = app();
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Search);
    type_text(&mut app, "sh");
    assert_eq!(app.selected_pid(), Some(200), "bash is the first with 'sh'");
    type_text(&mut app, "d");
    assert_eq!(app.selected_pid(), Some(400));
    app.update(Action::Text(TextInput::Confirm));
    cmd(&mut app, Command::SearchNext);
    assert_eq!(app.selected_pid(), Some(401));
    cmd(&mut app, Command::SearchNext);
    assert_eq!(app.selected_pid(), Some(400), "wraps around");
    // No match: the selection stays and the status says so.
    cmd(&mut app, Command::Search);
    type_text(&mut app, "zzz");
    assert_eq!(app.selected_pid(), Some(400));
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("no process matches")));
}

#[test]
fn tree_view_orders_children_under_parents() {
    let mut app = app();
    cmd(&mut app, Command::ToggleTree);
    assert_eq!(pids(&app), vec![1, 200, 300, 400, 401]);
    let prefixes: Vec<&str> = app.list.rows.iter().map(|r| r.prefix.as_str()).collect();
    assert_eq!(prefixes, vec!["", "├─ ", "│  └─ ", "└─ ", "   └─ "]);
    // Collapse bash's branch.
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Collapse);
    assert_eq!(pids(&app), vec![1, 200, 400, 401]);
    cmd(&mut app, Command::Expand);
    assert_eq!(pids(&app), vec![1, 200, 300, 400, 401]);
}

#[test]
fn all_threads_mode_lists_threads_under_their_process() {
    let mut app = app();
    let fx = cmd(&mut app, Command::ToggleThreads);
    assert_eq!(fx, vec![Effect::AllThreads(true)]);
    let ids: Vec<(Pid, Option<Pid>)> = app.list.rows.iter().take(4).map(|r| (r.id.pid, r.id.tid)).collect();
    assert_eq!(ids, vec![(300, None), (300, Some(301)), (300, Some(302)), (300, Some(303))]);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down);
    assert_eq!(app.selected_row().map(|r| r.id.tid), Some(Some(302)));
    // Turning it off puts the selection on the thread's process.
    cmd(&mut app, Command::ToggleThreads);
    assert_eq!(app.selected_row().map(|r| r.id), Some(RowId { pid: 300, tid: None }));
}

#[test]
fn show_threads_setting_starts_with_threads_as_rows() {
    let opts = Options { show_threads: true, ..Options::default() };
    let mut app = App::new(opts, KeyHelp::default(), LabState::new(Vec::new()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    assert!(app.list.rows.iter().any(|r| r.id == RowId { pid: 300, tid: Some(302) }));
    // H then turns it off, as if it had been turned on by a key.
    assert_eq!(cmd(&mut app, Command::ToggleThreads), vec![Effect::AllThreads(false)]);
    assert!(app.list.rows.iter().all(|r| r.id.tid.is_none()));
}

#[test]
fn enter_opens_threads_and_back_returns_to_same_process() {
    let mut app = app();
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down); // bash 200
    let fx = cmd(&mut app, Command::Enter);
    assert_eq!(fx, vec![Effect::Focus(Some(200))]);
    assert_eq!(app.view, View::Threads);
    // Refreshes that reorder the list while the threads view is open.
    let mut s = snapshot(2);
    s.processes.iter_mut().filter(|p| p.pid == 200).for_each(|p| p.cpu_percent = 500.0);
    app.update(Action::Sample(Arc::new(s)));
    let fx = cmd(&mut app, Command::Back);
    assert_eq!(fx, vec![Effect::Focus(None)]);
    assert_eq!(app.view, View::Processes);
    assert_eq!(app.selected_pid(), Some(200));
}

fn with_focus(seq: u64, focus: FocusSample) -> Arc<Snapshot> {
    let mut s = snapshot(seq);
    s.focus = Some(std::sync::Arc::new(focus));
    Arc::new(s)
}

#[test]
fn threads_view_sorts_and_keeps_exited_threads_one_interval() {
    let mut app = app();
    cmd(&mut app, Command::Enter); // worker 300 is first
    app.update(Action::Sample(with_focus(2, focus_worker())));
    let t = app.threads.as_ref().unwrap();
    let tids: Vec<Pid> = t.rows().map(|r| r.detail.thread.tid).collect();
    assert_eq!(tids, vec![300, 301, 302, 303]);
    cmd(&mut app, Command::SortCpu);
    let t = app.threads.as_ref().unwrap();
    let tids: Vec<Pid> = t.rows().map(|r| r.detail.thread.tid).collect();
    assert_eq!(tids, vec![301, 302, 303, 300]);
    // Thread 302 exits: shown once more, dimmed, at the end; then gone.
    let mut f = focus_worker();
    f.threads.retain(|t| t.thread.tid != 302);
    app.update(Action::Sample(with_focus(3, f.clone())));
    let t = app.threads.as_ref().unwrap();
    let rows: Vec<(Pid, bool)> = t.rows().map(|r| (r.detail.thread.tid, r.exited)).collect();
    assert_eq!(rows, vec![(301, false), (303, false), (300, false), (302, true)]);
    app.update(Action::Sample(with_focus(4, f)));
    assert_eq!(app.threads.as_ref().unwrap().row_count(), 3);
    assert!(!app.threads.as_ref().unwrap().history.contains_key(&302));
}

#[test]
fn threads_view_survives_process_exit_and_keeps_last_data() {
    let mut app = app();
    cmd(&mut app, Command::Enter);
    app.update(Action::Sample(with_focus(2, focus_worker())));
    let gone = FocusSample { pid: 300, alive: false, ..Default::default() };
    let mut s = snapshot(3);
    s.processes.retain(|p| p.pid != 300);
    s.focus = Some(std::sync::Arc::new(gone));
    app.update(Action::Sample(Arc::new(s)));
    let t = app.threads.as_ref().unwrap();
    assert!(t.process_exited);
    assert_eq!(t.row_count(), 4, "last data kept");
    assert!(t.process.is_some());
    cmd(&mut app, Command::Back);
    assert_eq!(app.view, View::Processes);
}

#[test]
fn state_history_accumulates_and_is_bounded() {
    let mut app = app();
    cmd(&mut app, Command::Enter);
    for seq in 2..(threads::HISTORY_LEN as u64 + 10) {
        app.update(Action::Sample(with_focus(seq, focus_worker())));
    }
    let t = app.threads.as_ref().unwrap();
    assert_eq!(t.history[&301].len(), threads::HISTORY_LEN);
    assert!(t.history[&301].iter().all(|&c| c == 'R'));
    // The core map: running threads by the core they last ran on.
    assert_eq!(t.running_on_cores(2), vec![vec!["cpu-0"], vec!["cpu-1"]]);
}

#[test]
fn threads_of_starts_in_threads_view() {
    let opts = Options { threads_of: Some(300), ..Options::default() };
    let mut app = App::new(opts, KeyHelp::default(), LabState::new(Vec::new()));
    assert_eq!(app.view, View::Threads);
    assert_eq!(app.startup_effects(), vec![Effect::Focus(Some(300))]);
    app.update(Action::Sample(with_focus(1, focus_worker())));
    app.update(Action::Cmd(Command::Back));
    assert_eq!(app.selected_pid(), Some(300), "going back lands on the process");
}

#[test]
fn pid_filter_shows_only_those_pids() {
    let opts = Options { pids: Some([1, 401].into()), ..Options::default() };
    let mut app = App::new(opts, KeyHelp::default(), LabState::new(Vec::new()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    let mut got = pids(&app);
    got.sort();
    assert_eq!(got, vec![1, 401]);
}

#[test]
fn quit_and_help() {
    let mut app = app();
    cmd(&mut app, Command::Help);
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    cmd(&mut app, Command::Back);
    assert_eq!(app.overlay, None);
    assert!(cmd(&mut app, Command::Quit).is_empty());
    assert!(app.quit);
    assert!(app.quit);
}

#[test]
fn a_new_process_does_not_steal_the_selection() {
    let mut app = app();
    cmd(&mut app, Command::Down);
    let before = app.selected_pid();
    let mut s = snapshot(2);
    s.processes.push(process(999, 1, "newcomer", 300.0, 1));
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.selected_pid(), before);
    assert_eq!(pids(&app)[0], 999);
}

#[test]
fn a_live_sample_shown_again_is_not_new_data() {
    // Back from the rewind the live view shows the newest sample once more, and a frame of the
    // ring carries its old seq: neither may count again in the CPU graph, the lab or a lesson.
    let mut app = app();
    assert!(app.fresh && app.cpu_history.len() == 1);
    for seq in [2, 3] {
        app.update(Action::Sample(Arc::new(snapshot(seq))));
        assert!(app.fresh, "seq {seq}");
    }
    for seq in [2, 1] {
        app.update(Action::Sample(Arc::new(snapshot(seq))));
        assert!(!app.fresh, "an older seq {seq}");
    }
    app.update(Action::Sample(Arc::new(snapshot(3))));
    assert!(!app.fresh, "the newest again");
    app.update(Action::Cmd(Command::Down));
    assert!(!app.fresh, "a key is no sample");
    app.update(Action::Sample(Arc::new(snapshot(4))));
    assert!(app.fresh);
    assert_eq!(app.cpu_history.len(), 4, "seqs 1 to 4, once each");
}
