//! Maps a validated registry to the generated statics.

use std::path::PathBuf;

use geno_metrics_schema::{
    Collector, Label, LabelValues, Metric, MetricKind, OVERFLOW_LABEL_VALUE, Registry,
};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

/// The expansion of `registry!(path)`: the statics, or one `compile_error!` per diagnostic.
/// Either way the file is `include_bytes!`'d, so cargo rebuilds when it changes (also to
/// clear an error).
pub(crate) fn registry(path: &LitStr) -> TokenStream {
    let written = path.value();
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    let full = manifest_dir.join(&written);
    let source = match std::fs::read_to_string(&full) {
        Ok(source) => source,
        Err(e) => {
            let message = format!(
                "cannot read the metrics registry `{}`: {e}\n  = help: the path is relative to the crate's Cargo.toml directory ({})",
                full.display(),
                manifest_dir.display()
            );
            return syn::Error::new(path.span(), message).to_compile_error();
        }
    };
    let track = {
        let full = full.to_string_lossy();
        quote! { const _: &[u8] = ::core::include_bytes!(#full); }
    };
    match geno_metrics_schema::parse(&source, &written) {
        Ok(registry) => {
            let items = statics(&registry);
            quote! { #items #track }
        }
        Err(report) => {
            let errors = report
                .diagnostics
                .iter()
                .map(|d| syn::Error::new(path.span(), d.to_string()).to_compile_error());
            quote! { #(#errors)* #track }
        }
    }
}

fn statics(registry: &Registry) -> TokenStream {
    let specs = registry.metrics.iter().map(spec);
    let count = registry.metrics.len();
    let handles = registry
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| match m.collector {
            Some(collector) => collected_handle(i, m, collector, registry),
            None => handle(i, m),
        });
    let enums = label_enums(registry);
    let entries = registry.metrics.iter().map(|m| {
        let ident = format_ident!("{}", m.handle);
        match m.collector {
            Some(Collector::Process) => return quote! { ::geno_metrics::Metric::Process(&#ident) },
            Some(Collector::BuildInfo) => return quote! { ::geno_metrics::Metric::Info(&#ident) },
            None => {}
        }
        if m.kind == MetricKind::Info {
            let info = series_static(m);
            return quote! { ::geno_metrics::Metric::Info(&#info) };
        }
        if m.family_type.is_some() {
            let series = series_static(m);
            return quote! { ::geno_metrics::Metric::Family(&#series) };
        }
        match m.kind {
            MetricKind::Counter if m.sharded => {
                quote! { ::geno_metrics::Metric::ShardedCounter(&#ident) }
            }
            MetricKind::Counter => quote! { ::geno_metrics::Metric::Counter(&#ident) },
            MetricKind::Gauge => quote! { ::geno_metrics::Metric::Gauge(&#ident) },
            MetricKind::Histogram if m.sharded => {
                quote! { ::geno_metrics::Metric::ShardedHistogram(&#ident) }
            }
            MetricKind::Histogram => quote! { ::geno_metrics::Metric::Histogram(&#ident) },
            MetricKind::Info => unreachable!("returned above"),
        }
    });
    let version = registry.version.to_string();
    let mut metrics_doc =
        format!("Every metric of the registry (version {version}), in file order: {count} in all.");
    let const_labels = registry.const_labels.iter().map(|label| {
        let (name, env) = (&label.name, &label.env);
        let spec = quote! { ::geno_metrics::ConstLabelSpec::new(#name, #env) };
        match &label.default {
            Some(default) => quote! { #spec.with_default(#default) },
            None => spec,
        }
    });
    let with_const_labels = if registry.const_labels.is_empty() {
        quote! {}
    } else {
        let listed: Vec<String> = registry
            .const_labels
            .iter()
            .map(|l| match &l.default {
                Some(d) => format!("`{}` (from `${}`, default `{d}`)", l.name, l.env),
                None => format!("`{}` (from `${}`)", l.name, l.env),
            })
            .collect();
        metrics_doc.push_str(&format!(
            "\n\nEvery series carries the constant labels {}.",
            listed.join(", ")
        ));
        quote! { .with_const_labels(&[#(#const_labels),*]) }
    };
    let require_process = registry
        .collectors
        .contains(&Collector::Process)
        .then(|| quote! { const _: () = ::geno_metrics::__private::require_process_feature(); });
    quote! {
        #require_process

        static __GENO_METRICS_SPECS: [::geno_metrics::MetricSpec; #count] = [#(#specs),*];

        #(#enums)*

        #(#handles)*

        #[doc = #metrics_doc]
        #[allow(deprecated)]
        pub static METRICS: ::geno_metrics::Registry =
            ::geno_metrics::Registry::new(&__GENO_METRICS_SPECS, &[#(#entries),*])
                #with_const_labels;
    }
}

fn spec(metric: &Metric) -> TokenStream {
    let name = &metric.name;
    let kind = format_ident!(
        "{}",
        match metric.kind {
            MetricKind::Counter => "Counter",
            MetricKind::Gauge => "Gauge",
            MetricKind::Histogram => "Histogram",
            MetricKind::Info => "Info",
        }
    );
    let summary = &metric.summary;
    let buckets = metric.buckets.iter().map(|&b| float(b));
    let labels = metric.labels.iter().map(|label| {
        let name = &label.name;
        match &label.values {
            LabelValues::Enumerated { values, .. } => {
                let values = values.iter().map(|v| &v.value);
                quote! { ::geno_metrics::LabelSpec::enumerated(#name, &[#(#values),*]) }
            }
            LabelValues::FreeForm { max_series } => {
                quote! { ::geno_metrics::LabelSpec::free_form(#name, #max_series) }
            }
            LabelValues::Info => quote! { ::geno_metrics::LabelSpec::info(#name) },
        }
    });
    let unit = metric
        .unit
        .as_ref()
        .map(|unit| quote! { .with_unit(#unit) });
    let buckets = (!metric.buckets.is_empty()).then(|| quote! { .with_buckets(&[#(#buckets),*]) });
    let deprecated = metric
        .deprecated
        .as_ref()
        .map(|reason| quote! { .with_deprecated(#reason) });
    let labels = (!metric.labels.is_empty()).then(|| quote! { .with_labels(&[#(#labels),*]) });
    let collector = metric.collector.map(|c| {
        let c = c.as_str();
        quote! { .with_collector(#c) }
    });
    quote! {
        ::geno_metrics::MetricSpec::new(#name, ::geno_metrics::MetricKind::#kind, #summary)
            #unit #buckets #deprecated #labels #collector
    }
}

/// One enum per enumerated label name (the schema checked that every metric declaring a name
/// lists the same values), in order of first declaration.
fn label_enums(registry: &Registry) -> Vec<TokenStream> {
    let mut seen: Vec<&str> = Vec::new();
    let mut enums = Vec::new();
    for label in registry.metrics.iter().flat_map(|m| &m.labels) {
        let LabelValues::Enumerated { type_name, values } = &label.values else {
            continue;
        };
        if seen.contains(&type_name.as_str()) {
            continue;
        }
        seen.push(type_name);
        let ty = format_ident!("{}", type_name);
        let doc = format!(" The values of the label `{}`.", label.name);
        let count = values.len();
        let variants: Vec<_> = values
            .iter()
            .map(|v| format_ident!("{}", v.variant))
            .collect();
        // Debug-escaped: a value may hold newlines, which must not reach the Markdown.
        let variant_docs = values
            .iter()
            .map(|v| format!(" {}", markdown_escaped(&format!("{:?}", v.value))));
        let strings = values.iter().map(|v| &v.value);
        enums.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum #ty {
                #(#[doc = #variant_docs] #variants,)*
            }

            impl #ty {
                /// Every value, in declaration order (the order of the series).
                // A label named `all` makes the enum `All`: the name is the contract, not a
                // constructor of the same name by mistake.
                #[allow(clippy::self_named_constructors)]
                pub const fn all() -> [Self; #count] {
                    [#(Self::#variants),*]
                }

                /// The label value, as exposed.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        #(Self::#variants => #strings,)*
                    }
                }
            }

            impl ::core::fmt::Display for #ty {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        });
    }
    enums
}

/// The parameter of `with(..)` for `label`, as the schema chose it (raw for a keyword).
fn parameter(label: &Label) -> proc_macro2::Ident {
    match label.parameter.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => format_ident!("{}", label.parameter),
    }
}

/// A finite `f64` as a literal that reads back to the same value.
fn float(value: f64) -> TokenStream {
    let literal = Literal::f64_suffixed(value.abs());
    if value.is_sign_negative() {
        quote! { -#literal }
    } else {
        quote! { #literal }
    }
}

fn handle(index: usize, metric: &Metric) -> TokenStream {
    if metric.kind == MetricKind::Info {
        return info_handle(index, metric);
    }
    let ident = format_ident!("{}", metric.handle);
    let (ty, constructor) = match metric.kind {
        MetricKind::Counter if metric.sharded => (
            quote! { ::geno_metrics::ShardedCounter },
            quote! { ::geno_metrics::ShardedCounter::new },
        ),
        MetricKind::Counter => (
            quote! { ::geno_metrics::Counter },
            quote! { ::geno_metrics::Counter::new },
        ),
        MetricKind::Gauge => (
            quote! { ::geno_metrics::Gauge },
            quote! { ::geno_metrics::Gauge::new },
        ),
        MetricKind::Histogram if metric.sharded => {
            let n = metric.buckets.len();
            (
                quote! { ::geno_metrics::ShardedHistogram<#n> },
                quote! { ::geno_metrics::ShardedHistogram::<#n>::new },
            )
        }
        MetricKind::Histogram => {
            let n = metric.buckets.len();
            (
                quote! { ::geno_metrics::Histogram<#n> },
                quote! { ::geno_metrics::Histogram::<#n>::new },
            )
        }
        MetricKind::Info => unreachable!("info_handle"),
    };
    let attributes = handle_attributes(metric);
    let Some(family) = &metric.family_type else {
        return quote! {
            #attributes
            pub static #ident: #ty = #constructor(&__GENO_METRICS_SPECS[#index]);
        };
    };

    let family = format_ident!("{}", family);
    let series_static = series_static(metric);
    let series = metric.series_count();
    let free = metric
        .labels
        .iter()
        .filter(|l| matches!(l.values, LabelValues::FreeForm { .. }))
        .count();
    let inner = quote! { ::geno_metrics::Labelled<#ty, #series, #free> };
    let parameters: Vec<_> = metric.labels.iter().map(parameter).collect();
    let types = metric.labels.iter().map(|label| match &label.values {
        LabelValues::Enumerated { type_name, .. } => {
            let ty = format_ident!("{}", type_name);
            quote! { #ty }
        }
        LabelValues::FreeForm { .. } | LabelValues::Info => quote! { &str },
    });
    // The series index, first label slowest: ((p0 * w1) + p1) * w2 + p2 ...
    let series_index = metric.labels.iter().zip(&parameters).enumerate().fold(
        quote! { 0usize },
        |series_index, (i, (label, parameter))| {
            let width = label.width();
            let position = match label.values {
                LabelValues::Enumerated { .. } => quote! { (#parameter as usize) },
                LabelValues::FreeForm { .. } => {
                    quote! { ::geno_metrics::__private::free_form_position(self.0, #i, #parameter) }
                }
                // An info metric's labels never reach a family (see `info_handle`).
                LabelValues::Info => quote! { 0usize },
            };
            quote! { #series_index * #width + #position }
        },
    );
    let family_doc = format!(
        " The handle type of the labelled metric `{}`: pick a series with [`with`](Self::with), one argument per label.",
        metric.name
    );
    let with_doc = with_doc(metric);
    let deref = deref_to_inner(&family, &inner);
    quote! {
        static #series_static: #inner = ::geno_metrics::__private::labelled(
            &__GENO_METRICS_SPECS[#index],
            [const { #constructor(&__GENO_METRICS_SPECS[#index]) }; #series],
        );

        #[doc = #family_doc]
        #[derive(Debug)]
        pub struct #family(&'static #inner);

        impl #family {
            #(#[doc = #with_doc])*
            #[inline]
            pub fn with(&self, #(#parameters: #types),*) -> &#ty {
                ::geno_metrics::__private::series_at(self.0, #series_index)
            }
        }

        #deref

        #attributes
        pub static #ident: #family = #family(&#series_static);
    }
}

/// A collector's metric: a `ProcessMetric` reading `/proc`, or the `build_info` collector's
/// `Info` with the values known when the invoking crate is compiled.
fn collected_handle(
    index: usize,
    metric: &Metric,
    collector: Collector,
    registry: &Registry,
) -> TokenStream {
    let ident = format_ident!("{}", metric.handle);
    let mut docs = doc_lines(metric);
    let spec = quote! { &__GENO_METRICS_SPECS[#index] };
    let (ty, value) = match collector {
        Collector::Process => {
            docs.push(String::new());
            docs.push(
                " Read from `/proc` by the `process` collector each time it is exposed; `None` off Linux or when the read fails."
                    .to_owned(),
            );
            let reading = format_ident!(
                "{}",
                match metric.name.as_str() {
                    "process_cpu_seconds_total" => "CpuSeconds",
                    "process_open_fds" => "OpenFds",
                    "process_max_fds" => "MaxFds",
                    "process_virtual_memory_bytes" => "VirtualMemory",
                    "process_virtual_memory_max_bytes" => "VirtualMemoryMax",
                    "process_resident_memory_bytes" => "ResidentMemory",
                    "process_start_time_seconds" => "StartTime",
                    "process_threads" => "Threads",
                    other => unreachable!("the schema knows no process metric `{other}`"),
                }
            );
            (
                quote! { ::geno_metrics::ProcessMetric },
                quote! {
                    ::geno_metrics::ProcessMetric::new(#spec, ::geno_metrics::ProcessReading::#reading)
                },
            )
        }
        Collector::BuildInfo => {
            docs.push(String::new());
            docs.push(
                " Set from the start by the `build_info` collector, with values known when this crate was compiled."
                    .to_owned(),
            );
            let n = metric.labels.len();
            let registry_version = registry.version.to_string();
            let rustc_version = env!("GENO_METRICS_RUSTC_VERSION");
            (
                quote! { ::geno_metrics::Info<#n> },
                quote! {
                    ::geno_metrics::Info::with_values(#spec, [
                        ::core::env!("CARGO_PKG_VERSION"),
                        ::core::env!("CARGO_PKG_NAME"),
                        #registry_version,
                        #rustc_version,
                        match ::core::option_env!("GENO_METRICS_GIT_COMMIT") {
                            ::core::option::Option::Some(commit) => commit,
                            ::core::option::Option::None => "",
                        },
                    ])
                },
            )
        }
    };
    let docs = docs.into_iter().map(|line| quote! { #[doc = #line] });
    quote! {
        #(#docs)*
        pub static #ident: #ty = #value;
    }
}

/// An info metric: its `Info<N>` in a private static, and a handle type whose `set` takes one
/// named `&str` per label, in declaration order.
fn info_handle(index: usize, metric: &Metric) -> TokenStream {
    let ident = format_ident!("{}", metric.handle);
    let Some(ty) = &metric.family_type else {
        unreachable!("the schema gives every info metric a handle type");
    };
    let ty = format_ident!("{}", ty);
    let info = series_static(metric);
    let n = metric.labels.len();
    let inner = quote! { ::geno_metrics::Info<#n> };
    let parameters: Vec<_> = metric.labels.iter().map(parameter).collect();
    let attributes = handle_attributes(metric);
    let type_doc = format!(
        " The handle type of the info metric `{}`: [`set`](Self::set) its label values; it dereferences to [`Info`](::geno_metrics::Info) for `get` and `clear`.",
        metric.name
    );
    let labels: Vec<String> = metric
        .labels
        .iter()
        .map(|l| format!("`{}`", l.name))
        .collect();
    let set_doc = [
        " Replaces the label values: the one series becomes".to_owned(),
        format!(
            " `{}{{{}}} 1` at the next exposition. Any strings; takes a lock and copies them.",
            metric.name,
            metric
                .labels
                .iter()
                .map(|l| format!("{}=\"...\"", l.name))
                .collect::<Vec<_>>()
                .join(",")
        ),
        String::new(),
        format!(" Labels, in declaration order: {}.", labels.join(", ")),
    ];
    let deref = deref_to_inner(&ty, &inner);
    quote! {
        static #info: #inner = ::geno_metrics::Info::<#n>::new(&__GENO_METRICS_SPECS[#index]);

        #[doc = #type_doc]
        #[derive(Debug)]
        pub struct #ty(&'static #inner);

        impl #ty {
            #(#[doc = #set_doc])*
            pub fn set(&self, #(#parameters: &str),*) {
                self.0.set([#(#parameters),*]);
            }
        }

        #deref

        #attributes
        pub static #ident: #ty = #ty(&#info);
    }
}

/// A handle's rustdoc (see [`doc_lines`]) and, for a deprecated metric, `#[deprecated]`.
fn handle_attributes(metric: &Metric) -> TokenStream {
    let docs = doc_lines(metric)
        .into_iter()
        .map(|line| quote! { #[doc = #line] });
    let deprecated = metric
        .deprecated
        .as_ref()
        .map(|reason| quote! { #[deprecated(note = #reason)] });
    quote! { #(#docs)* #deprecated }
}

/// A generated handle type (a tuple struct over `&'static inner`) dereferences to `inner`, where
/// the runtime's methods live.
fn deref_to_inner(ty: &proc_macro2::Ident, inner: &TokenStream) -> TokenStream {
    quote! {
        impl ::core::ops::Deref for #ty {
            type Target = #inner;

            fn deref(&self) -> &#inner {
                self.0
            }
        }
    }
}

/// The private static holding a labelled metric's series; its handle refers to it, and so
/// does `METRICS` (a reference into the handle itself could not be promoted to `'static`).
/// `SERIES_` keeps it apart from the spec array `__GENO_METRICS_SPECS` whatever the handle.
fn series_static(metric: &Metric) -> proc_macro2::Ident {
    format_ident!("__GENO_METRICS_SERIES_{}", metric.handle)
}

/// The rustdoc of a family's `with`: what each argument picks.
fn with_doc(metric: &Metric) -> Vec<String> {
    let mut lines = vec![
        " The series with these label values; record into it as into an unlabelled handle."
            .to_owned(),
        String::new(),
    ];
    for label in &metric.labels {
        lines.push(match &label.values {
            LabelValues::Enumerated { type_name, .. } => {
                format!(" - `{}`: a [`{type_name}`]: no lookup, no lock, no allocation.", label.name)
            }
            LabelValues::FreeForm { max_series } => format!(
                " - `{}`: any string. The first {max_series} distinct values get a series each; later ones share the `{}` series and count as dropped. Only a value's first use allocates (a copy of it).",
                label.name, OVERFLOW_LABEL_VALUE
            ),
            LabelValues::Info => format!(" - `{}`: any string.", label.name),
        });
    }
    lines
}

/// The rustdoc of a handle: the summary, then what the registry declares.
///
/// Text from the registry (summary, deprecation reason, label values) is free text, and
/// rustdoc reads doc comments as Markdown and compiles their code blocks as doc tests. So it
/// is written through [`markdown_lines`] and [`markdown_escaped`], which no Markdown
/// construct survives: it renders as the text it is.
fn doc_lines(metric: &Metric) -> Vec<String> {
    let mut lines = markdown_lines(&metric.summary);
    lines.push(String::new());
    lines.push(format!(" - name: `{}`", metric.name));
    lines.push(format!(" - kind: {}", metric.kind));
    if let Some(unit) = &metric.unit {
        lines.push(format!(" - unit: {unit}"));
    }
    if metric.sharded {
        lines.push(
            " - sharded: kept in per-thread shards, for a metric many threads record into"
                .to_owned(),
        );
    }
    if metric.kind == MetricKind::Histogram {
        let bounds: Vec<String> = metric.buckets.iter().map(f64::to_string).collect();
        lines.push(format!(" - buckets: {} (and `+Inf`)", bounds.join(", ")));
    }
    for label in &metric.labels {
        lines.push(match &label.values {
            LabelValues::Enumerated { type_name, values } => {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| markdown_escaped(&format!("{:?}", v.value)))
                    .collect();
                format!(
                    " - label `{}`: {} ([`{type_name}`])",
                    label.name,
                    values.join(", ")
                )
            }
            LabelValues::FreeForm { max_series } => format!(
                " - label `{}`: free-form, up to {max_series} values, then `{OVERFLOW_LABEL_VALUE}`",
                label.name
            ),
            LabelValues::Info => format!(
                " - label `{}`: any value, given by each `set(..)`",
                label.name
            ),
        });
    }
    if let Some(reason) = &metric.deprecated {
        let reason: Vec<String> = markdown_lines(reason)
            .iter()
            .map(|l| l.trim().to_owned())
            .collect();
        lines.push(format!(" - deprecated: {}", reason.join(" ")));
    }
    lines
}

/// The inline code the handle docs write themselves, around names the schema restricts to
/// `[a-z0-9_]`, handle and type identifiers, and fixed words: the only code spans a handle's
/// rustdoc may have (the Markdown test holds the docs to it).
#[cfg(test)]
const TRUSTED_CODE: &[&str] = &["+Inf", "x_total", "phase", "Phase", "__overflow__"];

/// `text` as it renders, in Markdown: every ASCII punctuation character backslash-escaped
/// (CommonMark lets any be), so that none opens a code span or fence, HTML, a link, emphasis,
/// a heading or a list, and an entity such as `&lt;` stays as written.
fn markdown_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `text` as doc lines, one per line whatever its line breaks (`\n`, `\r\n` and a lone `\r`:
/// CommonMark breaks lines at each), without leading blanks (four spaces or a tab would open
/// an indented code block), each [escaped](markdown_escaped).
fn markdown_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| format!(" {}", markdown_escaped(line.trim_start())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn expand(path: &str) -> String {
        registry(&LitStr::new(path, Span::call_site())).to_string()
    }

    #[test]
    fn an_unreadable_registry_names_the_full_path_and_the_base_directory() {
        let out = expand("no/such/metrics.toml");
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("cannot read the metrics registry"), "{out}");
        assert!(out.contains("no/such/metrics.toml"), "{out}");
        assert!(out.contains(env!("CARGO_MANIFEST_DIR")), "{out}");
    }

    #[test]
    fn a_valid_registry_expands_to_handles_and_the_table() {
        let out = expand("../metrics.toml");
        assert!(
            out.contains("pub static TRAIN_STEPS_TOTAL : :: geno_metrics :: Counter"),
            "{out}"
        );
        assert!(
            out.contains(":: geno_metrics :: Histogram < 11usize >"),
            "{out}"
        );
        assert!(
            out.contains("pub static METRICS : :: geno_metrics :: Registry"),
            "{out}"
        );
        assert!(out.contains("include_bytes"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn summaries_cannot_open_code_blocks_in_the_handle_docs() {
        let registry = geno_metrics_schema::parse(
            "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"x_total\"\nkind = \"counter\"\nsummary = \"See:\\n```\\npanic!()\\n```\\n    indented\"\n",
            "m.toml",
        )
        .unwrap();
        let lines = doc_lines(&registry.metrics[0]);
        assert_eq!(
            &lines[..4],
            [" See\\:", " \\`\\`\\`", " panic\\!\\(\\)", " \\`\\`\\`"]
        );
        assert_eq!(lines[4], " indented");
    }

    /// Whatever a summary, a deprecation reason or a label value holds (fences of every
    /// length and kind, indentation after every form of line break, tabs, HTML, entities,
    /// links), the handle's rustdoc, read by the Markdown parser rustdoc uses, has no code
    /// block, no inline code from registry text, and no HTML: nothing that runs or renders as
    /// code.
    mod markdown {
        use proptest::prelude::*;
        use pulldown_cmark::{Event, Options, Parser, Tag};

        const PIECES: &[&str] = &[
            "```",
            "````",
            "~~~",
            "~~~~",
            "```rust",
            "~~~ignore",
            "`",
            "    ",
            "\t",
            " ",
            "\n",
            "\r\n",
            "\r",
            "\n\n",
            "compile_error!(\"x\");",
            "std::fs::write(\"f\", \"x\")",
            "<script>",
            "</div>",
            "<div>",
            "<!--",
            "-->",
            "<?php",
            "<![CDATA[",
            "&lt;",
            "&#96;",
            "[a](b)",
            "[a]: b",
            "# ",
            "* ",
            "- ",
            "1. ",
            "> ",
            "---",
            "===",
            "|a|b|",
            "\\",
            "*x*",
            "_x_",
            "jobs",
            "done.",
            "é",
        ];

        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(proptest::sample::select(PIECES), 1..24)
                .prop_map(|pieces| pieces.concat())
        }

        /// The rustdoc rustdoc sees: the doc attributes' lines, joined.
        fn rendered_events(doc: &str) -> Vec<String> {
            Parser::new_ext(doc, Options::all())
                .filter_map(|event| match event {
                    Event::Start(Tag::CodeBlock(kind)) => Some(format!("code block {kind:?}")),
                    Event::Html(html) | Event::InlineHtml(html) => Some(format!("html {html:?}")),
                    Event::Code(code) if !super::super::TRUSTED_CODE.contains(&&*code) => {
                        Some(format!("inline code {code:?}"))
                    }
                    _ => None,
                })
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn registry_text_never_becomes_code_in_rustdoc(
                summary in text(),
                reason in text(),
                value in text(),
            ) {
                let toml = |s: &str| format!("{s:?}");
                let source = format!(
                    "[registry]\nversion = \"1.0.0\"\n[[metric]]\nname = \"x_total\"\nkind = \"counter\"\nsummary = {}\ndeprecated = {}\nlabels = {{ phase = [{}] }}\n",
                    toml(&summary), toml(&reason), toml(&value)
                );
                let Ok(registry) = geno_metrics_schema::parse(&source, "m.toml") else {
                    // Blank texts are refused by the schema: nothing reaches rustdoc.
                    return Ok(());
                };
                let doc = super::doc_lines(&registry.metrics[0]).join("\n");
                let code = rendered_events(&doc);
                prop_assert!(code.is_empty(), "{:?}\n{}", code, doc);
            }
        }
    }

    #[test]
    fn float_literals_read_back_exactly() {
        for value in [0.005, 1.0, -2.5, 1e-5, 1e6, 0.1 + 0.2] {
            let text = float(value).to_string().replace(' ', "");
            let parsed: f64 = text.trim_end_matches("f64").parse().unwrap();
            assert_eq!(parsed.to_bits(), value.to_bits(), "{text}");
        }
    }
}
