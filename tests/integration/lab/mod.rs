mod compare;
mod demo;
mod lifecycle;
pub mod pdeathsig;
mod python;
mod screen;
mod supervisor;
