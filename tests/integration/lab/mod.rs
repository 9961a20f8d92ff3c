mod demo;
pub mod pdeathsig;
mod python;
mod supervisor;
mod measured;
