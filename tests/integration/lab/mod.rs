mod demo;
mod measured;
pub mod pdeathsig;
mod python;
mod supervisor;
