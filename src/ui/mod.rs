//! The page's logic without the DOM: its state and reducer ([`state`]) and what editing a
//! control does ([`edit`]). Plain Rust, compiled and unit-tested natively; `app` renders it
//! with Yew and sends the messages it names.

pub mod edit;
pub mod state;
pub mod worker_kind;
