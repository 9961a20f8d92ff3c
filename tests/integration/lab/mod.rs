mod compare;
mod demo;
mod lifecycle;
mod measured;
pub mod pdeathsig;
mod python;
mod screen;
mod supervisor;
