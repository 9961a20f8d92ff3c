mod compare;
mod demo;
mod measured;
pub mod pdeathsig;
mod python;
mod screen;
mod supervisor;
