mod churn;
mod fuzz;
mod many_tasks;
mod names;
pub mod nobody;
mod proc_root;
mod signals;
mod soak;
mod terminal;
