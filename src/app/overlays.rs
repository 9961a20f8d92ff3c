//! Keys while help or the sort menu is open (the acting dialogs are in act.rs).

use crate::app::table::{Column, ThreadColumn};
use crate::app::{App, Command, Effect, Overlay, View};

impl App {
    pub(crate) fn on_overlay(&mut self, overlay: Overlay, cmd: Command) -> Vec<Effect> {
        match overlay {
            Overlay::Help { scroll } => match cmd {
                Command::Down => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(1) }),
                Command::Up => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(1) }),
                Command::PageDown => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(10) }),
                Command::PageUp => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(10) }),
                Command::Home => self.overlay = Some(Overlay::Help { scroll: 0 }),
                Command::Quit => {
                    self.quit = true;
                    return Vec::new();
                }
                _ => self.overlay = None,
            },
            Overlay::SortMenu { cursor } => {
                let n = self.sort_columns_len();
                match cmd {
                    Command::Down => self.overlay = Some(Overlay::SortMenu { cursor: (cursor + 1).min(n - 1) }),
                    Command::Up => self.overlay = Some(Overlay::SortMenu { cursor: cursor.saturating_sub(1) }),
                    Command::Home => self.overlay = Some(Overlay::SortMenu { cursor: 0 }),
                    Command::End => self.overlay = Some(Overlay::SortMenu { cursor: n - 1 }),
                    Command::Enter => {
                        self.overlay = None;
                        self.sort_by_index(cursor);
                    }
                    Command::Quit => {
                        self.quit = true;
                        return Vec::new();
                    }
                    _ => self.overlay = None,
                }
            }
            // The acting overlays are handled in act.rs.
            _ => {}
        }
        Vec::new()
    }

    pub(crate) fn sort_columns_len(&self) -> usize {
        match self.view {
            View::Threads => ThreadColumn::ALL.len(),
            _ => Column::ALL.len(),
        }
    }

    pub(crate) fn sort_by_index(&mut self, i: usize) {
        match self.view {
            View::Threads => {
                if let (Some(t), Some(&c)) = (self.threads.as_mut(), ThreadColumn::ALL.get(i)) {
                    t.set_sort(c);
                }
            }
            _ => {
                if let Some(&c) = Column::ALL.get(i) {
                    self.set_sort(c);
                }
            }
        }
    }
}
