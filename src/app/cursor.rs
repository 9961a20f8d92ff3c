//! One cursor for every list: the process list, the threads table, the lab's catalogue and
//! experiment picker, and every menu (sort, signal, affinity, user).
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::action::Command;

/// Where a cursor at `selected` in a list of `len` goes on a movement command (None: not a
/// movement, or the list is empty). `page` is the visible height, for PgUp/PgDn.
pub fn step(selected: usize, len: usize, page: usize, cmd: Command) -> Option<usize> {
    let last = len.checked_sub(1)?;
    Some(match cmd {
        Command::Up => selected.saturating_sub(1),
        Command::Down => (selected + 1).min(last),
        Command::PageUp => selected.saturating_sub(page),
        Command::PageDown => (selected + page).min(last),
        Command::Home => 0,
        Command::End => last,
        _ => return None,
    })
}

/// A menu's cursor: `step` over a list of known length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Menu {
    pub cursor: usize,
}

impl Menu {
    pub fn at(cursor: usize) -> Menu {
        Menu { cursor }
    }

    /// Moves on a movement command; false when `cmd` is not one (or the list is empty).
    pub fn on(&mut self, cmd: Command, len: usize, page: usize) -> bool {
        match step(self.cursor, len, page, cmd) {
            Some(i) => {
                self.cursor = i;
                true
            }
            None => false,
        }
    }
}
