mod io;
mod runner;
mod scaling;
