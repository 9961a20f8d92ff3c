//! README promises that need no real terminal, run in process: the real event loop driven by
//! scripted keys, mouse events and samples on a TestBackend (`threadtop::runtime::testing`).
//! What needs a terminal (restore on exit, signals, resize, hang-up) stays in e2e and torture.

use crossterm::event::{Event, KeyModifiers, MouseEvent, MouseEventKind};
use threadtop::app::fixtures::{process, snapshot};
use threadtop::app::lab::LabState;
use threadtop::app::{App, Options};
use threadtop::input::keymap::Keymap;
use threadtop::model::demo::{DemoKind, LabEvent};
use threadtop::runtime::event_loop::Ending;
use threadtop::runtime::testing::Harness;

fn app(options: Options) -> App {
    App::new(options, Keymap::defaults().help(), LabState::new(threadtop::runtime::catalog()))
}

/// The app on the fixture machine (init, bash, a worker, sshd, kernel threads), drawn once.
fn harness_with(options: Options, w: u16, h: u16) -> Harness {
    let mut h = Harness::new(app(options), w, h);
    // No real process is acted on: control reads an empty /proc.
    h.proc_root = std::env::temp_dir().join(format!("threadtop-empty-proc-{}", std::process::id()));
    h.samples.push(snapshot(1));
    assert_eq!(h.idle(), Ending::Idle);
    h
}

fn harness(w: u16, h: u16) -> Harness {
    harness_with(Options::default(), w, h)
}

/// The rows of the process table: the lines under its header, up to the status line.
fn rows(screen: &str) -> Vec<String> {
    let mut lines = screen.lines().skip_while(|l| !(l.contains("PID") && l.contains("COMMAND")));
    lines.next();
    lines
        .map(str::to_string)
        .filter(|l| l.split_whitespace().next().is_some_and(|w| w.parse::<u32>().is_ok()))
        .collect()
}

/// A machine of `n` sleeping processes, PIDs 1000.., so that a page is less than the list.
fn many(n: i32) -> threadtop::collect::model::Snapshot {
    let mut s = snapshot(2);
    s.processes = (0..n).map(|i| process(1000 + i, 1, &format!("p{i}"), 0.0, 1)).collect();
    s
}

#[test]
fn x_stops_every_running_demo() {
    let mut h = harness(120, 40);
    h.keys("X");
    assert_eq!(h.lab.stopped_all, 0, "nothing to stop");
    assert!(h.screen().contains("no demo is running"), "{}", h.screen());
    h.keys("d<Enter>");
    let spec = h.lab.launched[0].clone();
    h.lab.push_demo(LabEvent::Started { id: 1, spec, pids: vec![401] });
    h.idle();
    h.keys("<Esc>X");
    assert_eq!(h.lab.stopped_all, 1, "X asked the lab to stop all");
    assert!(h.screen().contains("stopping 1 demo(s)"), "{}", h.screen());
}

#[test]
fn plus_minus_set_the_workers_and_left_right_the_duration_of_the_launch() {
    let mut h = harness(120, 40);
    h.keys("d<Enter>");
    let plain = h.lab.launched[0].clone();
    assert_eq!(plain.kind, DemoKind::CpuThreads);
    // The lab stays on screen after a launch: the next knobs are set there.
    h.keys("++<Right><Enter>");
    let more = h.lab.launched[1].clone();
    assert_eq!(more.workers, plain.workers + 2, "+ twice: two workers more");
    assert!(more.duration > plain.duration, "Right: longer ({:?} vs {:?})", more.duration, plain.duration);
    h.keys("-<Left><Left><Enter>");
    let less = h.lab.launched[2].clone();
    assert_eq!(less.workers, more.workers - 1, "- once: one worker fewer than the last launch's setting");
    assert!(less.duration < more.duration, "Left twice: shorter ({:?} vs {:?})", less.duration, more.duration);
}

#[test]
fn page_up_comes_back_from_page_down() {
    let mut h = harness(120, 30);
    h.samples.push(many(200));
    h.keys("N<Home>");
    let top = h.app.selected_pid();
    assert_eq!(top, Some(1000));
    h.keys("<PgDn>");
    let down = h.app.selected_pid().unwrap();
    assert!(down > 1010, "PgDn moves a page: {down}");
    h.keys("<PgDn><PgUp>");
    assert_eq!(h.app.selected_pid(), Some(down), "PgUp undoes one PgDn");
    h.keys("<PgUp>");
    assert_eq!(h.app.selected_pid(), top);
    assert!(rows(&h.screen())[0].contains("1000"), "{}", h.screen());
}

#[test]
fn the_mouse_wheel_scrolls_the_list() {
    let mut h = harness(120, 30);
    h.samples.push(many(200));
    h.keys("N<Home>");
    let wheel = |kind| Event::Mouse(MouseEvent { kind, column: 10, row: 15, modifiers: KeyModifiers::NONE });
    h.events(vec![wheel(MouseEventKind::ScrollDown); 5]);
    let after_down = h.app.selected_pid().unwrap();
    assert!(after_down > 1000, "the wheel moved down: {after_down}");
    h.events(vec![wheel(MouseEventKind::ScrollUp); 5]);
    assert_eq!(h.app.selected_pid(), Some(1000), "and back up");
}

#[test]
fn the_tree_view_shows_a_zombie_under_its_parent() {
    let mut h = harness(140, 40);
    let mut s = snapshot(2);
    let mut z = process(500, 300, "defunct-kid", 0.0, 0);
    z.state = 'Z';
    z.cmdline = "".into();
    s.processes.push(z);
    h.samples.push(s);
    h.keys("t");
    let screen = h.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let parent = lines.iter().position(|l| l.contains("/usr/bin/worker")).expect("the parent is listed");
    let zombie = lines.iter().position(|l| l.contains("defunct-kid")).unwrap_or_else(|| panic!("zombie: {screen}"));
    assert!(zombie > parent, "the zombie comes under its parent:\n{screen}");
    let row = lines[zombie];
    assert!(row.split_whitespace().any(|w| w == "Z"), "its state shows Z: {row:?}");
    assert!(row.contains('└') || row.contains('├'), "drawn as a child in the tree: {row:?}");
}

/// The fixture's processes plus this test process, whose /proc the l, e and w overlays read.
fn with_me() -> Harness {
    let mut h = Harness::new(app(Options::default()), 160, 45);
    let me = std::process::id() as i32;
    let mut s = snapshot(1);
    let mut mine = process(me, 1, "integration", 0.0, 10);
    mine.cmdline = std::env::args().collect::<Vec<_>>().join(" ").into();
    s.processes = vec![mine];
    h.samples.push(s);
    h.idle();
    assert_eq!(h.app.selected_pid(), Some(me));
    h
}

#[test]
fn l_lists_the_open_files_of_the_process() {
    let mut h = with_me();
    let marker = std::env::temp_dir().join(format!("threadtop-open-file-marker-{}", std::process::id()));
    let _file = std::fs::File::create(&marker).unwrap();
    h.keys("l");
    h.idle();
    let screen = h.screen();
    let _ = std::fs::remove_file(&marker);
    let name = marker.file_name().unwrap().to_str().unwrap();
    assert!(screen.contains(&name[..30]), "l shows a file this process holds open:\n{screen}");
}

#[test]
fn e_shows_the_environment_of_the_process() {
    let mut h = with_me();
    // This process's environment as the kernel has it (set before exec: cargo's variables).
    let environ = std::fs::read(format!("/proc/{}/environ", std::process::id())).unwrap();
    let first =
        String::from_utf8_lossy(environ.split(|&b| b == 0).find(|v| v.starts_with(b"CARGO")).unwrap()).into_owned();
    h.keys("e");
    h.idle();
    let screen = h.screen();
    let shown = &first[..first.len().min(40)];
    assert!(screen.contains(shown), "e shows {shown:?}:\n{screen}");
}

#[test]
fn w_shows_the_whole_command_line() {
    let mut h = with_me();
    h.keys("w");
    h.idle();
    let screen = h.screen();
    let exe = std::env::args().next().unwrap();
    let tail = &exe[exe.len().saturating_sub(30)..];
    assert!(screen.contains(tail), "w shows the command line ({tail:?}):\n{screen}");
}

#[test]
fn a_opens_the_affinity_dialog_for_the_whole_process() {
    let mut h = with_me();
    // Opened and left with Esc: this test process's own affinity is never changed.
    h.keys("a");
    h.idle();
    let screen = h.screen();
    assert!(screen.contains("all its threads"), "the dialog says it pins the whole process:\n{screen}");
    h.keys("<Esc>");
    assert!(!h.screen().contains("all its threads"), "Esc closes it:\n{}", h.screen());
}
