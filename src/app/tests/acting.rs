//! Acting on processes: tags, signals, nice, affinity, follow, mouse, the lab's keys, and what
//! happens when the chosen process exits.

use std::sync::Arc;
use std::time::Duration;

use super::*;

fn acting_app(opts: Options) -> App {
    let mut app = App::new(opts, KeyHelp::default(), LabState::new(Vec::new()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    app
}

#[test]
fn targets_are_the_tagged_processes_else_the_selected_one() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Down); // 200
    let t: Vec<Pid> = app.action_targets().iter().map(|t| t.pid).collect();
    assert_eq!(t, vec![200]);
    cmd(&mut app, Command::Tag); // tags 200, moves to 300
    assert_eq!(app.selected_pid(), Some(300));
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Tag); // tags 400
    let t: Vec<Pid> = app.action_targets().iter().map(|t| t.pid).collect();
    assert_eq!(t, vec![200, 400]);
    assert_eq!(app.action_targets()[0].start_ticks, 1200, "start time travels with the target");
    cmd(&mut app, Command::UntagAll);
    assert!(app.list.tagged.is_empty());
    // c tags a process and its descendants.
    cmd(&mut app, Command::Home); // 1
    cmd(&mut app, Command::TagChildren);
    let mut tagged: Vec<Pid> = app.list.tagged.keys().copied().collect();
    tagged.sort();
    assert_eq!(tagged, vec![1, 200, 300, 400, 401]);
}

#[test]
fn signals_to_0_1_and_self_are_refused_before_any_menu() {
    let opts = Options { self_pid: 200, ..Options::default() };
    let mut app = acting_app(opts);
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home); // PID 1
    cmd(&mut app, Command::Kill);
    assert_eq!(app.overlay, None);
    assert!(app.status.as_ref().is_some_and(|s| s.text.starts_with("refused:") && s.text.contains("PID 1")));
    cmd(&mut app, Command::Down); // 200 = self
    cmd(&mut app, Command::Kill);
    assert_eq!(app.overlay, None);
    assert!(app.status.as_ref().is_some_and(|s| s.text.starts_with("refused:") && s.text.contains("threadtop itself")));
    let refusal = app.refusal(&[Target { pid: 0, start_ticks: 0, command: String::new() }]);
    assert!(refusal.is_some_and(|r| r.starts_with("refused:")));
}

#[test]
fn signal_menu_confirm_and_cancel() {
    let mut app = acting_app(Options { self_pid: 999_999, ..Options::default() });
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::End); // 401
    cmd(&mut app, Command::Kill);
    assert!(matches!(app.overlay, Some(Overlay::SignalMenu(m, _)) if m.cursor == 0), "cursor starts on TERM");
    cmd(&mut app, Command::Down); // KILL
    cmd(&mut app, Command::Enter);
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
    let fx = cmd(&mut app, Command::Yes);
    assert_eq!(
        fx,
        vec![Effect::Signal {
            targets: vec![Target { pid: 401, start_ticks: 1401, command: "/usr/bin/sshd-session --flag".into() }],
            sig: libc::SIGKILL
        }]
    );
    // Cancel sends nothing.
    cmd(&mut app, Command::Kill);
    cmd(&mut app, Command::Enter);
    assert!(cmd(&mut app, Command::No).is_empty());
    assert_eq!(app.overlay, None);
    assert!(app.pending_signal().is_none());
}

#[test]
fn read_only_turns_every_acting_command_into_a_message() {
    let mut app = acting_app(Options { readonly: true, self_pid: 999_999, ..Options::default() });
    for c in [Command::Kill, Command::NiceDown, Command::NiceUp, Command::Affinity] {
        app.status = None;
        assert!(cmd(&mut app, c).is_empty(), "{c:?}");
        assert_eq!(app.overlay, None, "{c:?} opened nothing");
        assert!(app.status.as_ref().is_some_and(|s| s.text.starts_with("read-only mode")), "{c:?}");
    }
    // The lab does not launch either.
    app.lab = LabState::new(vec![crate::app::lab::CatalogEntry {
        kind: crate::model::demo::DemoKind::CpuThreads,
        workers: 1,
        seconds: 5,
        max_workers: 4,
        timed: true,
        unit: "threads",
        summary: String::new(),
        lesson: String::new(),
    }]);
    cmd(&mut app, Command::OpenLab);
    assert!(cmd(&mut app, Command::Enter).is_empty());
    assert!(app.status.as_ref().is_some_and(|s| s.text.starts_with("read-only mode")));
}

#[test]
fn nice_in_threads_view_is_per_thread_and_in_list_per_process() {
    let mut app = acting_app(Options::default());
    // List: worker (300) selected → every thread of it.
    assert_eq!(cmd(&mut app, Command::NiceUp), vec![Effect::Renice { pid: 300, tid: None, delta: 1 }]);
    cmd(&mut app, Command::Enter);
    app.update(Action::Sample(with_focus(2, focus_worker())));
    cmd(&mut app, Command::Down); // TID 301
    assert_eq!(cmd(&mut app, Command::NiceDown), vec![Effect::Renice { pid: 300, tid: Some(301), delta: -1 }]);
    // A signal from the threads view goes to the process.
    cmd(&mut app, Command::Kill);
    let p = app.pending_signal().unwrap();
    assert_eq!(p.targets[0].pid, 300);
    assert_eq!(p.from_thread, Some(301));
}

#[test]
fn follow_off_keeps_the_row_position() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::ToggleFollow);
    cmd(&mut app, Command::Down); // row 1: 401
    let mut s = snapshot(2);
    s.processes.iter_mut().filter(|p| p.pid == 200).for_each(|p| p.cpu_percent = 50.0);
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.list.selected, 1);
    assert_eq!(app.selected_pid(), Some(200), "the row stays, the process under it changes");
}

#[test]
fn pause_freezes_the_display() {
    let mut app = acting_app(Options::default());
    assert_eq!(cmd(&mut app, Command::Pause), vec![Effect::Pause(true)]);
    let mut s = snapshot(2);
    s.processes.clear();
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.list.rows.len(), 5, "the paused screen keeps the last sample");
    assert_eq!(cmd(&mut app, Command::Pause), vec![Effect::Pause(false)]);
}

#[test]
fn user_menu_filters_by_user() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::UserMenu);
    assert_eq!(
        app.user_choices().map(|u| u.to_vec()).unwrap_or_default(),
        vec!["".to_string(), "root".into(), "sshd".into()]
    );
    cmd(&mut app, Command::End);
    cmd(&mut app, Command::Enter);
    assert_eq!(pids(&app), vec![400]);
    cmd(&mut app, Command::UserMenu);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Enter);
    assert_eq!(pids(&app).len(), 5);
}

#[test]
fn mouse_click_selects_rows_and_sorts_by_titles() {
    let mut app = acting_app(Options::default());
    {
        let mut hit = app.hit.borrow_mut();
        hit.header_y = Some(5);
        hit.body_y = 6;
        hit.body_h = 10;
        hit.columns = vec![(0, 8, 0), (8, 18, 1)];
    }
    app.update(Action::Click { x: 3, y: 8 });
    assert_eq!(app.list.selected, 2);
    app.update(Action::Click { x: 3, y: 5 });
    assert_eq!(app.list.sort.column, Column::Pid);
    assert!(!app.list.sort.descending);
    app.update(Action::Click { x: 3, y: 5 });
    assert!(app.list.sort.descending, "a second click inverts");
    let (before, sort) = (app.list.selected, app.list.sort);
    app.update(Action::Click { x: 3, y: 100 });
    assert_eq!((app.list.selected, app.list.sort), (before, sort), "outside the table: nothing");
    // And it does not depend on the click being a no-op everywhere: a row click still moves.
    app.update(Action::Click { x: 3, y: 6 });
    assert_ne!(app.list.selected, before);
}

#[test]
fn experiments_from_the_lab_start_cancel_and_save() {
    use crate::model::experiment::{ExperimentEvent, ExperimentKind};
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::OpenLab);
    cmd(&mut app, Command::Experiments);
    assert_eq!(app.lab_screen(), LabScreen::Picker { cursor: 0 });
    cmd(&mut app, Command::Down);
    assert_eq!(cmd(&mut app, Command::Enter), vec![Effect::StartExperiment(ExperimentKind::Io)]);
    assert_eq!(app.lab_screen(), LabScreen::Experiment);
    assert!(app.experiment.as_ref().is_some_and(|e| e.running()));
    // Saving before it ends does nothing but say so.
    assert!(cmd(&mut app, Command::Save).is_empty());
    assert!(app.status.as_ref().is_some_and(|s| s.error));
    // Esc while it runs cancels it, and stays on its screen until it confirms.
    assert_eq!(cmd(&mut app, Command::Back), vec![Effect::CancelExperiment]);
    assert_eq!(app.lab_screen(), LabScreen::Experiment);
    app.update(Action::Experiment(ExperimentEvent::Failed { reason: "stopped".into(), result: None }));
    assert!(!app.experiment.as_ref().unwrap().running());
    assert!(cmd(&mut app, Command::Back).is_empty());
    assert_eq!(app.lab_screen(), LabScreen::Catalog);
}

#[test]
fn read_only_runs_no_experiment() {
    let mut app = acting_app(Options { readonly: true, ..Options::default() });
    cmd(&mut app, Command::OpenLab);
    cmd(&mut app, Command::Experiments);
    assert!(cmd(&mut app, Command::Enter).is_empty());
    assert!(app.experiment.is_none());
}

#[test]
fn quit_works_from_every_dialog() {
    for open in [Command::Kill, Command::UserMenu, Command::FullCommand, Command::Help, Command::SortMenu] {
        let mut app = acting_app(Options { self_pid: 999_999, ..Options::default() });
        cmd(&mut app, open);
        assert!(app.overlay.is_some(), "{open:?} opens a dialog");
        assert!(cmd(&mut app, Command::Quit).is_empty(), "{open:?}");
        assert!(app.quit, "{open:?}");
        assert!(app.quit);
    }
}

#[test]
fn a_demo_that_ends_before_it_is_listed_says_what_it_measured() {
    use crate::model::demo::{DemoKind, DemoResult, DemoSpec, LabEvent, SpawnCost};
    let mut app = app();
    app.lab.select_next_started = true;
    let spec = DemoSpec { kind: DemoKind::SpawnCost, workers: 200, duration: Duration::from_secs(60) };
    app.update(Action::Lab(LabEvent::Started { id: 3, spec, pids: vec![777] }));
    assert_eq!(app.list.pending_select, Some(777));
    let result = DemoResult {
        kind: "spawn-cost".into(),
        workers: 200,
        wall_seconds: 0.2,
        cpu_seconds: 0.1,
        cores_used: 0.5,
        ops: 400,
        ops_per_sec: 2000.0,
        pids: vec![777],
        stopped_early: false,
        spawn: Some(SpawnCost { thread_spawn_us: 21.5, process_spawn_us: 301.0, ratio: 14.0 }),
        figures: None,
        extra: None,
    };
    app.update(Action::Lab(LabEvent::Finished { id: 3, result: result.clone() }));
    let status = app.status.as_ref().map(|s| (s.text.clone(), s.error));
    assert_eq!(status, Some(("spawn-cost #3 finished: thread 21.5µs, process 301.0µs (×14.0)".into(), false)));
    // Its PID will never be listed: a later process that reuses it must not take the selection.
    assert_eq!(app.list.pending_select, None);
    // A timed demo stopped by the user says so, with its cores and rate.
    let stopped =
        DemoResult { kind: "cpu-threads".into(), stopped_early: true, spawn: None, cores_used: 1.96, ..result.clone() };
    app.update(Action::Lab(LabEvent::Finished { id: 4, result: stopped }));
    assert!(app.status.as_ref().is_some_and(|s| s.text == "cpu-threads #4 stopped: 1.96 cores · 2000 ops/s"));
    // The step demos say what they measured, not ops/s.
    let race = crate::model::figures::RaceFigures {
        threads: 2,
        increments_per_thread: 10,
        runs: vec![crate::model::figures::RaceRun { method: "unsynchronised".into(), lost: 7, ..Default::default() }],
    };
    let figures = Some(Box::new(crate::model::figures::DemoFigures::Race(race)));
    let r = DemoResult { kind: "race".into(), stopped_early: false, spawn: None, figures, ..result };
    app.update(Action::Lab(LabEvent::Finished { id: 5, result: r }));
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some("race #5 finished: racy -7"));
}

/// Sorted by PID, the cursor on the worker (PID 300), as a user would get there.
fn select_worker(app: &mut App) {
    cmd(app, Command::SortPid);
    cmd(app, Command::Home);
    cmd(app, Command::Down);
    cmd(app, Command::Down);
    assert_eq!(app.selected_pid(), Some(300));
}

fn status_text(app: &App) -> String {
    app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn tags_of_exited_processes_go_and_a_reused_pid_is_not_tagged() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Down); // 200
    cmd(&mut app, Command::Tag); // 200, moves to 300
    cmd(&mut app, Command::Tag); // 300
    assert_eq!(app.list.tagged.len(), 2);
    // Both exit; a later process reuses PID 300.
    let mut s = snapshot(2);
    s.processes.retain(|p| p.pid != 200);
    for p in s.processes.iter_mut().filter(|p| p.pid == 300) {
        p.start_ticks += 5000;
    }
    app.update(Action::Sample(Arc::new(s)));
    assert!(app.list.tagged.is_empty(), "tags outlived their processes: {:?}", app.list.tagged);
    assert!(!app.is_tagged(RowId { pid: 300, tid: None }));
    // So k acts on the selection only, not on the newcomer behind a stale tag.
    let t: Vec<Pid> = app.action_targets().iter().map(|t| t.pid).collect();
    assert!(!t.contains(&200));
}

#[test]
fn a_tag_carries_its_own_start_time_to_the_signal() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::End); // 401
    cmd(&mut app, Command::Tag);
    // Between two samples the tag's start time, not a newer process's, travels with the target.
    let mut snap = (*app.snapshot).clone();
    for p in snap.processes.iter_mut().filter(|p| p.pid == 401) {
        p.start_ticks = 99;
    }
    app.snapshot = Arc::new(snap);
    let t = app.action_targets();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].start_ticks, 1401, "the tagged process's start time, so control refuses a reused PID");
}

#[test]
fn after_the_selected_process_exits_acting_keys_wait_for_the_user_to_move() {
    let mut app = acting_app(Options::default());
    select_worker(&mut app);
    let mut s = snapshot(2);
    s.processes.retain(|p| p.pid != 300);
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.selected_pid(), Some(400), "the cursor rests on a neighbour");
    for c in [
        Command::Kill,
        Command::Affinity,
        Command::NiceDown,
        Command::NiceUp,
        Command::Environment,
        Command::OpenFiles,
        Command::FullCommand,
        Command::StopDemo,
    ] {
        let effects = cmd(&mut app, c);
        assert!(effects.is_empty(), "{c:?} acted on a row the user did not choose: {effects:?}");
        assert_eq!(app.overlay, None, "{c:?}");
        assert!(status_text(&app).contains("process 300 exited"), "{c:?}: {}", status_text(&app));
    }
    // Moving (even back and forth) is a choice: now k works on the row chosen.
    cmd(&mut app, Command::Up);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Kill);
    assert!(matches!(app.overlay, Some(Overlay::SignalMenu { .. })));
    assert_eq!(app.pending_signal().map(|p| p.targets[0].pid), Some(400));
}

#[test]
fn a_selection_that_stays_does_not_block_actions() {
    let mut app = acting_app(Options::default());
    cmd(&mut app, Command::SortPid);
    cmd(&mut app, Command::Home);
    cmd(&mut app, Command::Down); // 200
    let mut s = snapshot(2);
    s.processes.retain(|p| p.pid != 300);
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.list.vanished, None);
    assert_eq!(cmd(&mut app, Command::Affinity), vec![Effect::LoadAffinity { pid: 200, tid: None, cores: 2 }]);
}

#[test]
fn threads_view_of_an_exited_process_refuses_to_act() {
    let mut app = app();
    select_worker(&mut app);
    cmd(&mut app, Command::Enter);
    let mut s = snapshot(2);
    s.processes.retain(|p| p.pid != 300);
    s.focus = Some(std::sync::Arc::new(FocusSample { pid: 300, alive: false, ..FocusSample::default() }));
    app.update(Action::Sample(Arc::new(s)));
    assert!(app.threads.as_ref().is_some_and(|t| t.process_exited));
    assert!(cmd(&mut app, Command::Affinity).is_empty());
    assert!(status_text(&app).contains("process 300 exited"), "{}", status_text(&app));
}

#[test]
fn slash_starts_a_new_search_and_n_repeats_the_last() {
    let mut app = app();
    cmd(&mut app, Command::Search);
    type_text(&mut app, "ssh");
    app.update(Action::Text(TextInput::Cancel));
    cmd(&mut app, Command::Search);
    assert_eq!(app.list.search, "", "/ appended to the last search");
    type_text(&mut app, "bash");
    app.update(Action::Text(TextInput::Confirm));
    assert_eq!(app.selected_pid(), Some(200));
    cmd(&mut app, Command::SearchNext);
    assert_eq!(app.list.search, "bash");
}

#[test]
fn right_and_left_scroll_the_command_column_then_left_clears_the_filter() {
    let mut app = app();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "usr");
    app.update(Action::Text(TextInput::Confirm));
    cmd(&mut app, Command::Right);
    cmd(&mut app, Command::Right);
    assert_eq!(app.list.command_scroll, 2 * COMMAND_SCROLL_STEP);
    cmd(&mut app, Command::Left);
    assert_eq!(app.list.command_scroll, COMMAND_SCROLL_STEP);
    assert_eq!(app.list.filter, "usr", "Left scrolls back before it clears the filter");
    cmd(&mut app, Command::Left);
    assert_eq!(app.list.command_scroll, 0);
    cmd(&mut app, Command::Left);
    assert_eq!(app.list.filter, "");
    // Never further than the longest command.
    for _ in 0..100 {
        cmd(&mut app, Command::Right);
    }
    let longest = app.snapshot.processes.iter().map(|p| table::display_command(p).chars().count()).max().unwrap_or(0);
    assert!(app.list.command_scroll < longest);
}

#[test]
fn thread_rows_follow_the_sort_column_within_their_process() {
    let mut app = app();
    cmd(&mut app, Command::ToggleThreads);
    let tids = |app: &App| -> Vec<Pid> { app.list.rows.iter().filter_map(|r| r.id.tid).collect() };
    // CPU descending: cpu-0 95, cpu-1 85, io-0 0.5.
    assert_eq!(tids(&app), vec![301, 302, 303]);
    cmd(&mut app, Command::InvertSort);
    assert_eq!(tids(&app), vec![303, 302, 301]);
    cmd(&mut app, Command::SortPid);
    assert_eq!(tids(&app), vec![301, 302, 303]);
}

#[test]
fn v_toggles_only_the_graph_of_the_view_it_is_pressed_in() {
    let mut app = app();
    cmd(&mut app, Command::Enter);
    cmd(&mut app, Command::CpuGraph);
    assert!(app.show_sparkline);
    assert!(!app.show_graph, "v in the threads view turned the list's graph on");
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::CpuGraph);
    assert!(app.show_graph && app.show_sparkline);
}

#[test]
fn affinity_from_the_threads_view_is_the_whole_process_and_a_switches_to_the_thread() {
    let mut app = app();
    select_worker(&mut app);
    cmd(&mut app, Command::Enter);
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(focus_worker()));
    app.update(Action::Sample(Arc::new(s)));
    // The cursor lands on the main thread: `a` must still mean every thread of the process.
    assert_eq!(cmd(&mut app, Command::Affinity), vec![Effect::LoadAffinity { pid: 300, tid: None, cores: 2 }]);
    app.update(Action::AffinityLoaded { pid: 300, tid: None, allowed: vec![true, true] });
    let edit = app.affinity_edit().cloned().expect("dialog open");
    assert_eq!((edit.tid, edit.thread), (None, Some(300)));
    // Space unticks core 0, Enter applies it to the whole process.
    cmd(&mut app, Command::Tag);
    assert_eq!(
        cmd(&mut app, Command::Enter),
        vec![Effect::SetAffinity { pid: 300, tid: None, allowed: vec![false, true] }]
    );
    // And `a` in the dialog picks the thread under the cursor instead.
    cmd(&mut app, Command::Down); // 301 (threads sorted by CPU: 301 first? whichever is selected)
    let tid = app.threads.as_ref().and_then(|t| t.selected_tid).expect("a thread selected");
    cmd(&mut app, Command::Affinity);
    app.update(Action::AffinityLoaded { pid: 300, tid: None, allowed: vec![true, true] });
    assert_eq!(cmd(&mut app, Command::Affinity), vec![Effect::LoadAffinity { pid: 300, tid: Some(tid), cores: 2 }]);
    app.update(Action::AffinityLoaded { pid: 300, tid: Some(tid), allowed: vec![true, false] });
    assert_eq!(app.affinity_edit().map(|a| a.tid), Some(Some(tid)));
    assert_eq!(cmd(&mut app, Command::Affinity), vec![Effect::LoadAffinity { pid: 300, tid: None, cores: 2 }]);
}

#[test]
fn lifecycle_narrates_each_step_on_the_status_line_and_its_result_at_the_end() {
    use crate::model::demo::{DemoKind, DemoResult, DemoSpec, Extra, LabEvent, StepSeen};
    let mut app = app();
    let spec = DemoSpec { kind: DemoKind::Lifecycle, workers: 1, duration: Duration::from_secs(60) };
    app.update(Action::Lab(LabEvent::Started { id: 5, spec, pids: vec![778] }));
    let progress = |ops, ms| LabEvent::Progress {
        id: 5,
        ops,
        cpu: Duration::from_millis(ms / 2),
        elapsed: Duration::from_millis(ms),
        ops_per_sec: None,
        cores: None,
    };
    app.update(Action::Lab(progress(0, 250)));
    assert!(status_text(&app).starts_with("lifecycle #5 step 0/6 created: "), "{}", status_text(&app));
    app.update(Action::Lab(progress(1, 1250)));
    let running = status_text(&app);
    assert!(running.starts_with("lifecycle #5 step 1/6 running (R): it spins"), "{running}");
    // The same step again says nothing new: whatever was said since stays.
    app.update(Action::Lab(LabEvent::Refused {
        spec: DemoSpec { kind: DemoKind::CpuThreads, workers: 1, duration: Duration::from_secs(1) },
        reason: "a cap".into(),
    }));
    app.update(Action::Lab(progress(1, 1500)));
    assert_eq!(status_text(&app), "lab: a cap");
    app.update(Action::Lab(progress(4, 7000)));
    assert!(status_text(&app).contains("step 4/6 stopped (T): threadtop sent it SIGSTOP"), "{}", status_text(&app));
    let seen = |pairs: &[(char, u32)]| pairs.iter().copied().collect();
    let result = DemoResult {
        kind: "lifecycle".into(),
        workers: 1,
        wall_seconds: 9.0,
        cpu_seconds: 1.0,
        cores_used: 0.11,
        ops: 5,
        ops_per_sec: 0.5,
        pids: vec![778],
        stopped_early: false,
        spawn: None,
        figures: None,
        extra: Some(Box::new(Extra {
            states_seen: Some("SRSRDTZ".into()),
            reaped: Some(true),
            steps: vec![
                StepSeen { name: "running".into(), seen: seen(&[('R', 190)]) },
                StepSeen { name: "disk".into(), seen: seen(&[('R', 150), ('D', 50)]) },
                StepSeen { name: "reaped".into(), seen: seen(&[]) },
            ],
            ..Extra::default()
        })),
    };
    app.update(Action::Lab(LabEvent::Finished { id: 5, result }));
    assert_eq!(status_text(&app), "lifecycle #5 finished: seen RSDTZ · reaped");
}
