use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::fixtures::{focus_worker, snapshot};
use crate::app::lab::{CatalogEntry, LabState};
use crate::app::{Action, Command, KeyHelp, Options};
use crate::input::keymap::Keymap;
use crate::model::demo::{DemoKind, DemoResult, DemoSpec, LabEvent};

fn catalog() -> Vec<CatalogEntry> {
    DemoKind::ALL
        .iter()
        .map(|&kind| CatalogEntry {
            kind,
            workers: 2,
            seconds: 60,
            max_workers: 256,
            timed: kind != DemoKind::SpawnCost,
            unit: "threads",
            summary: format!("{kind}: summary"),
            lesson: format!("The lesson of {kind}, in a few plain words that wrap."),
        })
        .collect()
}

fn app() -> App {
    let help: KeyHelp = Keymap::defaults().help();
    let mut app = App::new(Options::default(), help, LabState::new(catalog()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    app
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, app, &Theme::colored())).unwrap();
    term
}

fn threads_app() -> App {
    let mut app = app();
    app.update(Action::Cmd(Command::Enter));
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(focus_worker()));
    app.update(Action::Sample(Arc::new(s)));
    let mut s = snapshot(3);
    let mut f = focus_worker();
    f.threads[3].thread.state = 'R';
    s.focus = Some(std::sync::Arc::new(f));
    app.update(Action::Sample(Arc::new(s)));
    app
}

#[test]
fn processes_120x40() {
    insta::assert_snapshot!(render(&app(), 120, 40).backend());
}

#[test]
fn processes_80x24() {
    insta::assert_snapshot!(render(&app(), 80, 24).backend());
}

#[test]
fn processes_30x8() {
    insta::assert_snapshot!(render(&app(), 30, 8).backend());
}

#[test]
fn processes_tree_with_threads_80x24() {
    let mut app = app();
    app.update(Action::Cmd(Command::ToggleTree));
    app.update(Action::Cmd(Command::ToggleThreads));
    insta::assert_snapshot!(render(&app, 80, 24).backend());
}

#[test]
fn threads_120x40() {
    insta::assert_snapshot!(render(&threads_app(), 120, 40).backend());
}

#[test]
fn threads_80x24() {
    insta::assert_snapshot!(render(&threads_app(), 80, 24).backend());
}

#[test]
fn lab_100x30() {
    let ms = Duration::from_millis;
    let mut app = app();
    app.update(Action::Cmd(Command::OpenLab));
    let spec = DemoSpec { kind: DemoKind::LockThreads, workers: 4, duration: Duration::from_secs(60) };
    app.update(Action::Lab(LabEvent::Started { id: 1, spec: spec.clone(), pids: vec![300] }));
    app.update(Action::Lab(LabEvent::Progress {
        id: 1,
        ops: 2000,
        elapsed: ms(11_000),
        cpu: ms(10_990),
        ops_per_sec: Some(1000.0),
        cores: Some(0.99),
    }));
    let spec2 = DemoSpec { kind: DemoKind::SpawnCost, workers: 200, duration: Duration::from_secs(60) };
    app.update(Action::Lab(LabEvent::Started { id: 2, spec: spec2, pids: vec![500] }));
    app.update(Action::Lab(LabEvent::Finished {
        id: 2,
        result: DemoResult {
            kind: "spawn-cost".into(),
            workers: 200,
            wall_seconds: 0.4,
            cpu_seconds: 0.3,
            cores_used: 0.75,
            ops: 400,
            ops_per_sec: 1000.0,
            pids: vec![500],
            stopped_early: false,
            spawn: Some(crate::model::demo::SpawnCost { thread_spawn_us: 20.0, process_spawn_us: 180.0, ratio: 9.0 }),
            figures: None,
            extra: None,
        },
    }));
    app.view = crate::app::View::LAB;
    insta::assert_snapshot!(render(&app, 100, 30).backend());
}

#[test]
fn help_overlay_lists_keys() {
    let mut app = app();
    app.update(Action::Cmd(Command::Help));
    insta::assert_snapshot!(render(&app, 100, 30).backend());
}

#[test]
fn every_size_draws_without_panic() {
    let apps = [app(), threads_app(), {
        let mut a = app();
        a.view = crate::app::View::LAB;
        a
    }];
    for a in &apps {
        for w in [0u16, 1, 2, 3, 5, 10, 17, 30, 59, 60, 61, 79, 120, 300] {
            for h in [0u16, 1, 2, 3, 4, 5, 6, 8, 12, 24, 40, 100] {
                let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
                term.draw(|f| draw(f, a, &Theme::colored())).unwrap();
            }
        }
    }
}

#[test]
fn hostile_names_never_reach_the_terminal_raw() {
    let mut s = snapshot(1);
    s.processes[3].name = "evil\x1b[2J".into();
    s.processes[3].cmdline = "evil\x1b[2J\nsecond line\t\u{9b}31m".into();
    let help: KeyHelp = Keymap::defaults().help();
    let mut app = App::new(Options::default(), help, LabState::new(catalog()));
    app.update(Action::Sample(Arc::new(s)));
    let term = render(&app, 120, 40);
    let buf = term.backend().buffer();
    for c in buf.content() {
        assert!(!c.symbol().chars().any(|ch| ch.is_control()), "control char in cell {:?}", c.symbol());
    }
    let text = term.backend().to_string();
    assert!(text.contains("evil^[[2J^Jsecond line^I?31m"), "{text}");
}

#[test]
fn no_color_theme_has_no_colors() {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let app = threads_app();
    term.draw(|f| draw(f, &app, &Theme::mono())).unwrap();
    for c in term.backend().buffer().content() {
        assert_eq!(c.fg, ratatui::style::Color::Reset);
        assert_eq!(c.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn mono_theme_processes_80x24() {
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let app = app();
    term.draw(|f| draw(f, &app, &Theme::mono())).unwrap();
    insta::assert_snapshot!(term.backend());
    for c in term.backend().buffer().content() {
        assert_eq!((c.fg, c.bg), (ratatui::style::Color::Reset, ratatui::style::Color::Reset));
    }
}

#[test]
fn configured_columns_in_their_order() {
    use crate::app::table::Column;
    let help: KeyHelp = Keymap::defaults().help();
    let opts = Options { columns: vec![Column::Pid, Column::Command, Column::Cpu], ..Options::default() };
    let mut app = App::new(opts, help, LabState::new(catalog()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    let term = render(&app, 60, 12);
    let text = term.backend().to_string();
    let header = text.lines().find(|l| l.contains("PID")).unwrap();
    let (p, c, u) = (header.find("PID").unwrap(), header.find("COMMAND").unwrap(), header.find("CPU%").unwrap());
    assert!(p < c && c < u, "{header}");
    assert!(!header.contains("USER"));
    let row = text.lines().find(|l| l.contains(" 300 ")).unwrap();
    assert!(row.trim_end().trim_end_matches('"').ends_with("180"), "CPU% last: {row}");
}

#[test]
fn cpu_history_graph_and_cores_sparkline() {
    let mut app = app();
    for seq in 2..40u64 {
        let mut s = snapshot(seq);
        let wave = ((seq as f32) * 0.4).sin() * 40.0 + 50.0;
        s.system.cpus[0].user = wave;
        s.system.cpus[1].user = 100.0 - wave;
        s.system.total.user = 50.0;
        app.update(Action::Sample(Arc::new(s)));
    }
    app.update(Action::Cmd(Command::CpuGraph));
    assert!(app.show_graph);
    insta::assert_snapshot!("cpu_graph_100x40", render(&app, 100, 40).backend());
    let mut app = threads_app();
    for seq in 4..30u64 {
        let mut s = snapshot(seq);
        let mut f = focus_worker();
        f.cores_in_use = (seq % 3) as f64 * 0.9;
        s.focus = Some(std::sync::Arc::new(f));
        app.update(Action::Sample(Arc::new(s)));
    }
    app.update(Action::Cmd(Command::CpuGraph));
    let text = render(&app, 120, 40).backend().to_string();
    assert!(text.contains("cores in use, last"), "{text}");
}

#[test]
fn threads_view_of_a_pid_that_does_not_exist_says_so() {
    use crate::collect::model::FocusSample;
    let help: KeyHelp = Keymap::defaults().help();
    let opts = Options { threads_of: Some(999_999), ..Options::default() };
    let mut app = App::new(opts, help, LabState::new(catalog()));
    let mut s = snapshot(1);
    s.focus = Some(std::sync::Arc::new(FocusSample {
        pid: 999_999,
        alive: false,
        error: Some("no such process".into()),
        ..Default::default()
    }));
    app.update(Action::Sample(Arc::new(s)));
    let text = render(&app, 100, 30).backend().to_string();
    assert!(text.contains("no such process (it does not exist or has exited)"), "{text}");
}

mod put_fast_path {
    use proptest::prelude::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};

    use super::super::put;

    /// put's ASCII path must leave exactly the cells ratatui's set_stringn leaves.
    fn same_as_ratatui(text: &str, x: u16, y: u16, area: Rect) {
        let buf_area = Rect::new(0, 0, 20, 3);
        let style = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
        let mut ours = Buffer::empty(buf_area);
        let mut theirs = Buffer::empty(buf_area);
        ours.set_string(0, 1, "0123456789abcdefghij", Style::default().bg(Color::Blue));
        theirs.set_string(0, 1, "0123456789abcdefghij", Style::default().bg(Color::Blue));
        let got = put(&mut ours, area, x, y, text, style);
        let want = if y < area.y || y >= area.bottom() || x >= area.right() {
            x
        } else {
            theirs.set_stringn(x, y, text, (area.right() - x) as usize, style).0
        };
        assert_eq!(got, want, "end column for {text:?} at {x},{y}");
        assert_eq!(ours, theirs, "cells for {text:?} at {x},{y} in {area:?}");
    }

    #[test]
    fn ascii_edges() {
        let area = Rect::new(2, 0, 10, 3);
        for (text, x) in [("", 2), ("abc", 2), ("a long line that is cut", 5), ("exact fit!", 2), ("x", 11), ("x", 12)]
        {
            same_as_ratatui(text, x, 1, area);
        }
        // An area wider than the buffer: the buffer's edge cuts.
        same_as_ratatui("0123456789012345678901234", 10, 0, Rect::new(0, 0, 40, 3));
        // An area reaching past the buffer's last line: nothing drawn, no panic.
        let mut small = Buffer::empty(Rect::new(0, 0, 5, 2));
        assert_eq!(put(&mut small, Rect::new(0, 0, 5, 4), 1, 3, "abc", Style::default()), 1);
        assert_eq!(small, Buffer::empty(Rect::new(0, 0, 5, 2)));
        // Not printable ASCII: the slow path, the same by construction.
        same_as_ratatui("tab\there", 0, 2, Rect::new(0, 0, 20, 3));
        same_as_ratatui("ünïcödé 漢字", 0, 2, Rect::new(0, 0, 20, 3));
        // ASCII that a following mark joins, a prepend mark before ASCII, wide characters at
        // the edge, flags, an emoji sequence, a control byte inside a command line.
        for text in [
            "cafe\u{301} ok",
            "x\u{600}12 y",
            "ab漢字",
            "abc漢",
            "🇫🇷🇩🇪 a",
            "👩\u{200d}💻 dev",
            "a\u{1b}[2J b",
            "wl ▸ /usr/bin/x --y",
        ] {
            for x in 0..12 {
                same_as_ratatui(text, x, 0, Rect::new(0, 0, 14, 3));
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_any_place(text in "[ -~]{0,30}|.{0,12}|([ -~]|.|\\PC\\p{M}){0,20}", x in 0u16..24, y in 0u16..3, ax in 0u16..6, aw in 0u16..30) {
            same_as_ratatui(&text, x, y, Rect::new(ax, 0, aw, 3));
        }
    }
}

/// The screen as lines of text.
fn screen(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>())
        .collect()
}

#[test]
fn threads_view_of_a_zombie_says_so_and_names_the_parent() {
    let mut app = app();
    let mut s = snapshot(2);
    for p in s.processes.iter_mut().filter(|p| p.pid == 401) {
        p.state = 'Z';
        p.rss_bytes = 0;
        p.virt_bytes = 0;
        p.cmdline = "".into();
    }
    app.update(Action::Sample(Arc::new(s)));
    app.options.threads_of = None;
    app.list.selected_id = None;
    let i = app.list.rows.iter().position(|r| r.id.pid == 401).expect("401 listed");
    app.select_row(i);
    app.update(Action::Cmd(Command::Enter));
    let text = screen(&render(&app, 120, 30)).join("\n");
    assert!(text.contains("zombie"), "{text}");
    assert!(text.contains("PPID 400 (sshd)"), "{text}");
    assert!(!text.contains("one address space"), "{text}");
}

#[test]
fn the_function_bar_keeps_quit_and_cuts_no_label_at_any_width() {
    for w in [30u16, 40, 60, 80, 100, 120] {
        for view in [Command::Back, Command::Enter, Command::OpenLab] {
            let mut app = app();
            app.update(Action::Cmd(view));
            let lines = screen(&render(&app, w, 24));
            let bar = lines.last().cloned().unwrap_or_default();
            assert!(bar.contains("F10Quit"), "{w} cols {view:?}: {bar}");
            assert!(bar.contains("F1Help"), "{w} cols {view:?}: {bar}");
            // Every word of the bar is a whole key+label of that view's bar: none is cut.
            let entries = match app.view {
                crate::app::View::Processes => &app.help.bar_processes,
                crate::app::View::Threads => &app.help.bar_threads,
                crate::app::View::Lab(_) => &app.help.bar_lab,
            };
            let whole: Vec<String> = entries.iter().map(|e| format!("{}{}", e.key, e.label)).collect();
            for word in bar.split_whitespace() {
                assert!(whole.iter().any(|w| w == word), "{w} cols {view:?}: '{word}' is cut in {bar}");
            }
        }
    }
}

#[test]
fn a_demo_result_in_the_status_line_is_never_cut_by_the_monitor_figures() {
    let mut app = app();
    let msg = "cpu-threads #1 stopped: 1.16 cores · 403 ops/s";
    app.status = Some(crate::app::Status { text: msg.into(), error: false, until_seq: 99 });
    for w in [60u16, 80, 100] {
        let lines = screen(&render(&app, w, 24));
        let status = &lines[lines.len() - 2];
        assert!(status.contains(msg), "{w} cols: {status}");
    }
}

#[test]
fn threads_title_keeps_cores_in_use_whole_when_narrow() {
    let app = threads_app();
    for w in [50u16, 60, 80] {
        let first = screen(&render(&app, w, 24)).remove(0);
        assert!(first.contains("1.81 of 2"), "{w} cols: {first}");
    }
}

#[test]
fn help_uses_the_width_it_has() {
    let mut app = app();
    app.update(Action::Cmd(Command::Help));
    let text = screen(&render(&app, 160, 50)).join("\n");
    // The longest key description is whole on one line at 160 columns.
    assert!(text.contains("list: open the process's threads · lab: launch the selected demo [all]"), "{text}");
    let narrow = screen(&render(&app, 60, 50)).join("\n");
    assert!(narrow.contains("F switches"), "{narrow}");
}

#[test]
fn cpu_history_graph_has_a_legend() {
    let mut app = app();
    for seq in 2..6 {
        app.update(Action::Sample(Arc::new(snapshot(seq))));
    }
    app.update(Action::Cmd(Command::CpuGraph));
    let text = screen(&render(&app, 100, 40)).join("\n");
    assert!(text.contains("━ total") && text.contains("━ cpu0") && text.contains("━ cpu1"), "{text}");
}

#[test]
fn right_scrolls_the_command_column_and_says_so() {
    let mut app = app();
    app.update(Action::Cmd(Command::Right));
    let text = screen(&render(&app, 120, 30)).join("\n");
    assert!(text.contains("columns scrolled (Left)"), "{text}");
    // "/usr/bin/worker --flag" from column 8: "/worker --flag".
    assert!(text.contains(" /worker --flag"), "{text}");
}

#[test]
fn the_modes_in_the_status_line_are_never_cut_by_the_monitor_figures() {
    let mut app = app();
    app.list.filter = "a-long-filter-text".into();
    app.list.tree = true;
    app.list.show_threads = true;
    app.list.follow = false;
    let lines = screen(&render(&app, 80, 24));
    let status = &lines[lines.len() - 2];
    assert!(status.contains("filter 'a-long-filter-text' · tree · all threads · follow off"), "{status}");
}

#[test]
fn the_affinity_dialog_from_the_threads_view_says_what_a_switches_to() {
    let mut app = threads_app();
    app.update(Action::AffinityLoaded { pid: 300, tid: None, allowed: vec![true, true] });
    let text = screen(&render(&app, 100, 30)).join("\n");
    assert!(text.contains("PID 300 (all its threads)"), "{text}");
    assert!(text.contains("a: only the thread under the cursor"), "{text}");
}

#[test]
fn a_scrolled_command_title_fits_a_narrow_screen() {
    let mut app = app();
    app.update(Action::Cmd(Command::Right));
    app.update(Action::Cmd(Command::Right));
    let header = screen(&render(&app, 80, 24)).into_iter().find(|l| l.contains("PID")).unwrap_or_default();
    assert!(header.trim_end().ends_with("COMMAND ◀16"), "{header}");
}

/// O shows IO_R/s and IO_W/s: a rate where io was read, `-` where it was unreadable (the fixture's
/// init), blank on a process's first sample with io (sshd).
#[test]
fn processes_with_io_columns_120x20() {
    use crate::collect::model::{IoCounters, ProcessExtra};
    let mut app = app();
    let fx = app.update(Action::Cmd(Command::ToggleIo));
    assert_eq!(fx, vec![crate::app::Effect::IoColumns(true)]);
    let mut s = snapshot(2);
    for (i, p) in s.processes.iter_mut().enumerate() {
        p.extra = Some(Box::new(match p.pid {
            1 => ProcessExtra::default(),
            400 => ProcessExtra { io: Some(IoCounters::default()), ..ProcessExtra::default() },
            _ => ProcessExtra {
                io: Some(IoCounters::default()),
                io_read_per_sec: Some(1536.0 * i as f64),
                io_write_per_sec: Some(3.0 * 1024.0 * 1024.0),
                ..ProcessExtra::default()
            },
        }));
    }
    app.update(Action::Sample(Arc::new(s)));
    insta::assert_snapshot!(render(&app, 120, 20).backend());
    assert_eq!(app.update(Action::Cmd(Command::ToggleIo)), vec![crate::app::Effect::IoColumns(false)]);
    assert!(!crate::app::table::Column::need_io(&app.options.columns));
}
