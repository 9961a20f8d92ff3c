//! Input: turns terminal events into `Action`s through the keymap. With `runtime`, the only
//! room that touches crossterm.
//! Part of `input`: imports `app` (and crossterm); no lab, ui, runtime or control.

pub mod keymap;
