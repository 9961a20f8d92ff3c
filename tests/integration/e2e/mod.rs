mod lab;
mod promises;
mod tui;
mod walkthrough;
