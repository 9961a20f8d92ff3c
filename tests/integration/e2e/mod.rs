mod lab;
mod tui;
mod walkthrough;
