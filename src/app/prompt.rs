//! Typing into the search and filter prompts.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::{App, Effect, Prompt, TextInput, View};

impl App {
    pub(crate) fn on_text(&mut self, input: TextInput) -> Vec<Effect> {
        let Some(prompt) = self.prompt else {
            return Vec::new();
        };
        let in_threads = self.view == View::Threads;
        match (prompt, input) {
            (Prompt::Search, TextInput::Char(c)) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        t.search.push(c);
                        let from = t.selected;
                        t.search_from(from);
                    }
                } else {
                    self.list.search.push(c);
                    self.search_from(self.list.selected);
                }
            }
            (Prompt::Search, TextInput::Backspace) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        t.search.pop();
                    }
                } else {
                    self.list.search.pop();
                }
            }
            (Prompt::Search, TextInput::Next) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        let from = t.selected + 1;
                        t.search_from(from);
                    }
                } else {
                    self.search_from(self.list.selected + 1);
                }
            }
            (Prompt::Search, TextInput::Confirm | TextInput::Cancel) => self.prompt = None,
            (Prompt::Filter, TextInput::Char(c)) => {
                self.list.filter.push(c);
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Backspace) => {
                self.list.filter.pop();
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Confirm) => self.prompt = None,
            (Prompt::Filter, TextInput::Cancel) => {
                self.prompt = None;
                self.list.filter.clear();
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Next) => {}
            (Prompt::Goto, input) => return self.on_goto_text(input),
        }
        Vec::new()
    }
}
