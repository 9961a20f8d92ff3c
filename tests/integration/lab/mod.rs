mod demo;
mod lifecycle;
pub mod pdeathsig;
mod python;
mod supervisor;
