mod commands;
mod config;
mod json_docs;
mod pipe;
