//! The `registry!` macro of geno-metrics; use it as `geno_metrics::registry!`.
//!
//! The macro is thin: `geno-metrics-schema` parses and validates the TOML (the same code
//! `cargo xtask metrics check` runs), and `expand.rs` maps the validated model to tokens.

#![forbid(unsafe_code)]

mod expand;

use proc_macro::TokenStream;

/// `registry!("metrics.toml")`: typed static handles and `METRICS` from a registry file.
/// See `geno_metrics::registry!` for the full contract.
#[proc_macro]
pub fn registry(input: TokenStream) -> TokenStream {
    let path = syn::parse_macro_input!(input as syn::LitStr);
    expand::registry(&path).into()
}
