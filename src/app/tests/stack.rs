//! The stack overlay: `s` in the threads view, the read that comes back, and what it says.

use std::sync::Arc;

use super::{app, cmd};
use crate::app::fixtures::{focus_worker, snapshot};
use crate::app::{Action, App, Command, Effect, Overlay, StackLine, StackView, View};
use crate::collect::model::{FocusSample, Pid};
use crate::model::stack::{KernelStack, PyFrame, PythonStack, StackReport};

fn in_threads() -> App {
    let mut app = app();
    cmd(&mut app, Command::Enter); // worker 300 is first
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(focus_worker()));
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(app.view, View::Threads);
    app
}

fn view(app: &App) -> &StackView {
    match &app.overlay {
        Some(Overlay::Stack(v)) => v,
        other => panic!("no stack overlay: {other:?}"),
    }
}

fn report(tid: Pid, kernel: KernelStack, python: Option<PythonStack>) -> Action {
    Action::StackRead(Box::new(StackReport { pid: 300, tid, kernel, python }))
}

fn texts(v: &StackView) -> Vec<String> {
    v.lines().into_iter().map(|(_, t)| t).collect()
}

#[test]
fn s_opens_the_selected_threads_stack_and_asks_for_it() {
    let mut app = in_threads();
    cmd(&mut app, Command::Down); // 301 cpu-0
    assert_eq!(cmd(&mut app, Command::Stack), vec![Effect::ReadStack { pid: 300, tid: 301 }]);
    let v = view(&app);
    assert_eq!((v.pid, v.tid, v.name.as_str(), v.report.as_ref()), (300, 301, "cpu-0", None));
    assert_eq!(texts(v), ["reading…"]);
    assert!(v.title().contains("thread 301 (cpu-0) of PID 300"), "{}", v.title());
}

#[test]
fn the_read_fills_its_own_overlay_only() {
    let mut app = in_threads();
    cmd(&mut app, Command::Stack); // 300, the main thread
    // A late answer for another thread (an overlay closed and opened again) is not shown.
    app.update(report(302, KernelStack::Frames(vec!["other+0x1/0x2".into()]), None));
    assert_eq!(view(&app).report, None);
    app.update(report(300, KernelStack::Frames(vec!["futex_do_wait+0x4a/0x80".into()]), None));
    let lines = texts(view(&app));
    assert_eq!(lines, ["Kernel stack (task/300/stack), innermost first", "  futex_do_wait+0x4a/0x80"]);
    // Esc closes; an answer arriving after that opens nothing.
    cmd(&mut app, Command::Back);
    assert_eq!(app.overlay, None);
    app.update(report(300, KernelStack::NeedsRoot, None));
    assert_eq!(app.overlay, None);
}

#[test]
fn s_again_reads_again_and_arrows_scroll() {
    let mut app = in_threads();
    cmd(&mut app, Command::Stack);
    app.update(report(300, KernelStack::Frames((0..40).map(|i| format!("f{i}+0x0/0x1")).collect()), None));
    cmd(&mut app, Command::PageDown);
    cmd(&mut app, Command::Down);
    assert_eq!(view(&app).scroll, 11);
    assert_eq!(cmd(&mut app, Command::Stack), vec![Effect::ReadStack { pid: 300, tid: 300 }]);
    assert_eq!(view(&app).report, None, "shown as being read again");
    cmd(&mut app, Command::Home);
    assert_eq!(view(&app).scroll, 0);
}

#[test]
fn a_python_stack_comes_first_innermost_first_then_the_kernels() {
    let mut app = in_threads();
    cmd(&mut app, Command::Stack);
    let frames = vec![
        PyFrame { function: "op_block".into(), file: "<string>".into(), line: 99 },
        PyFrame { function: "work".into(), file: "<string>".into(), line: 134 },
        PyFrame { function: "Thread.run".into(), file: "threading.py".into(), line: 1010 },
    ];
    let py = PythonStack::Frames { version: "3.12.1".into(), owns_gil: true, frames };
    app.update(report(300, KernelStack::NeedsRoot, Some(py)));
    let v = view(&app);
    assert_eq!(
        texts(v),
        [
            "Python 3.12.1 stack, innermost first · it holds the GIL",
            "  op_block    <string>:99",
            "  work        <string>:134",
            "  Thread.run  threading.py:1010",
            "",
            "Kernel stack (task/300/stack), innermost first",
            "  kernel stack needs root: the kernel lets only root read task/TID/stack",
        ]
    );
    let kinds: Vec<StackLine> = v.lines().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds[0], StackLine::Heading);
    assert_eq!(kinds[1], StackLine::Frame);
    assert_eq!(kinds[6], StackLine::Note);
}

#[test]
fn what_could_not_be_read_is_said_in_a_line_each() {
    let mut app = in_threads();
    cmd(&mut app, Command::Stack);
    let failed = PythonStack::Failed("Unsupported version of Python: 3.99.0".into());
    app.update(report(300, KernelStack::Gone, Some(failed)));
    let v = view(&app);
    let lines = v.lines();
    assert!(
        lines.contains(&(StackLine::Error, "  py-spy could not read it: Unsupported version of Python: 3.99.0".into()))
    );
    assert!(lines.contains(&(StackLine::Error, "  the thread exited before its stack was read".into())));

    cmd(&mut app, Command::Stack);
    app.update(report(
        300,
        KernelStack::Frames(Vec::new()),
        Some(PythonStack::NoSuchThread { version: "3.13.0".into() }),
    ));
    let lines = texts(view(&app));
    assert!(lines.iter().any(|l| l.contains("no Python thread runs on this OS thread")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("empty: the thread was running")), "{lines:?}");
}

#[test]
fn no_stack_is_asked_of_an_exited_thread_or_process() {
    let mut app = in_threads();
    // Thread 302 exits: its row stays one interval, dimmed; its stack is not asked for.
    let mut f = focus_worker();
    f.threads.retain(|t| t.thread.tid != 302);
    let mut s = snapshot(3);
    s.focus = Some(std::sync::Arc::new(f));
    app.update(Action::Sample(Arc::new(s)));
    let t = app.threads.as_ref().unwrap();
    let i = t.rows().position(|r| r.detail.thread.tid == 302).unwrap();
    app.threads.as_mut().unwrap().select(i);
    assert_eq!(cmd(&mut app, Command::Stack), Vec::new());
    assert_eq!(app.overlay, None);
    assert!(app.status.as_ref().unwrap().text.contains("thread 302 exited"));

    let mut s = snapshot(4);
    s.processes.retain(|p| p.pid != 300);
    s.focus = Some(std::sync::Arc::new(FocusSample { pid: 300, alive: false, ..Default::default() }));
    app.update(Action::Sample(Arc::new(s)));
    assert_eq!(cmd(&mut app, Command::Stack), Vec::new());
    assert!(app.status.as_ref().unwrap().text.contains("process 300 exited"));
}
