mod compare;
mod demo;
mod measured;
mod lifecycle;
pub mod pdeathsig;
mod python;
mod screen;
mod supervisor;
