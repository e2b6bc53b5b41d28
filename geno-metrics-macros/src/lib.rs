//! x
extern crate proc_macro;
