mod compare;
mod demo;
pub mod pdeathsig;
mod python;
mod screen;
mod supervisor;
