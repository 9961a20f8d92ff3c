//! Input: turns terminal events into `Action`s through the keymap. With `runtime`, the only
//! room that touches crossterm.

pub mod keymap;
