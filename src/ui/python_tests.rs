//! The stack overlay and the threads view's Python columns, drawn whole (TestBackend snapshots).

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::fixtures::{focus_worker, snapshot};
use crate::app::lab::LabState;
use crate::app::{Action, App, Command, Options};
use crate::collect::model::{PythonSample, PythonThread};
use crate::input::keymap::Keymap;
use crate::model::stack::{KernelStack, PyFrame, PythonStack, StackReport};

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, app, &Theme::mono())).unwrap();
    term
}

fn python() -> PythonSample {
    let t = |tid, gil_percent, f: &str| PythonThread { tid, gil_percent, function: Some(f.to_owned()) };
    PythonSample {
        rate_hz: 100,
        samples: 100,
        failed: 0,
        version: Some("3.12.1".into()),
        error: None,
        threads: vec![
            t(300, 0.0, "main (<string>:270)"),
            t(301, 52.0, "op_block (<string>:99)"),
            t(302, 46.0, "op_block (<string>:101)"),
        ],
    }
}

fn threads_app(py: Option<PythonSample>) -> App {
    let mut app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(Vec::new()));
    app.update(Action::Sample(Arc::new(snapshot(1))));
    app.update(Action::Cmd(Command::Enter));
    let mut s = snapshot(2);
    let mut f = focus_worker();
    f.python = py;
    s.focus = Some(std::sync::Arc::new(f));
    app.update(Action::Sample(Arc::new(s)));
    app
}

fn stack_app() -> App {
    let mut app = threads_app(Some(python()));
    app.update(Action::Cmd(Command::Down));
    app.update(Action::Cmd(Command::Stack));
    let frames = vec![
        PyFrame { function: "op_block".into(), file: "<string>".into(), line: 99 },
        PyFrame { function: "work".into(), file: "<string>".into(), line: 134 },
        PyFrame { function: "Thread.run".into(), file: "threading.py".into(), line: 1010 },
        PyFrame { function: "Thread._bootstrap_inner".into(), file: "threading.py".into(), line: 1073 },
    ];
    let python = Some(PythonStack::Frames { version: "3.12.1".into(), owns_gil: true, frames });
    app.update(Action::StackRead(Box::new(StackReport { pid: 300, tid: 301, kernel: KernelStack::NeedsRoot, python })));
    app
}

#[test]
fn stack_overlay_80x24() {
    insta::assert_snapshot!(render(&stack_app(), 80, 24).backend());
}

#[test]
fn stack_overlay_160x45() {
    insta::assert_snapshot!(render(&stack_app(), 160, 45).backend());
}

#[test]
fn threads_of_a_python_process_120x40() {
    insta::assert_snapshot!(render(&threads_app(Some(python())), 120, 40).backend());
}

#[test]
fn threads_of_a_python_process_80x24() {
    insta::assert_snapshot!(render(&threads_app(Some(python())), 80, 24).backend());
}

/// Without Python data the view is as it was: no GIL% nor PYFUNC header.
#[test]
fn no_python_columns_for_other_processes() {
    let term = render(&threads_app(None), 120, 40);
    let screen: String = term.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert!(screen.contains("WAIT%") && !screen.contains("GIL%") && !screen.contains("PYFUNC"));
}

#[test]
fn a_py_spy_error_is_said_once_in_the_legend() {
    let py = PythonSample {
        rate_hz: 100,
        error: Some("py-spy: Unsupported version of Python: 3.99.0".into()),
        ..Default::default()
    };
    let term = render(&threads_app(Some(py)), 120, 40);
    let screen: String = term.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert_eq!(screen.matches("Unsupported version of Python: 3.99.0").count(), 1, "{screen}");
    // The columns are there, with nothing known in them.
    assert!(screen.contains("GIL% PYFUNC"), "{screen}");
}
