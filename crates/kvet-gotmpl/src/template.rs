//! A set of associated templates (Go's `*template.Template` and its namespace).

use crate::ast::Tree;
use crate::error::{Error, ExecError, ExecErrorKind, ParseError};
use crate::exec;
use crate::funcs::FuncMap;
use crate::parse::{parse, ParseOptions};
use crate::sourcemap::SourceMap;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// What a field lookup on a map does when the key is missing (Go's `missingkey=` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default` (or `invalid`): the result is no value; it prints `<no value>`.
    #[default]
    Default,
    /// `missingkey=zero`: the result is the map's zero value (nil for Helm's maps).
    Zero,
    /// `missingkey=error`: execution stops with an error.
    Error,
}

/// Resource limits that keep execution bounded on hostile or broken templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of `template` calls and function-driven executions (`include`, `tpl`).
    pub max_call_depth: usize,
    /// Maximum bytes in any one output buffer.
    pub max_output_bytes: usize,
    /// Maximum evaluation steps (nodes walked, commands evaluated, loop iterations, calls).
    pub max_steps: u64,
    /// Maximum nesting of control structures and parentheses in a parsed template.
    pub max_parse_depth: usize,
    /// Maximum native stack, in bytes, that nested execution may use: the combined bound
    /// on template calls, nested control structures and function-driven executions.
    pub max_stack_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_call_depth: 1000,
            max_output_bytes: 64 << 20,
            max_steps: 10_000_000,
            max_parse_depth: 200,
            max_stack_bytes: 768 << 10,
        }
    }
}

/// Output text and the source map that says which template position produced each byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The output text.
    pub text: String,
    /// Where each part of the output came from.
    pub source_map: SourceMap,
}

impl Rendered {
    /// The template position that produced output byte `offset` (exact within literal text).
    pub fn locate(&self, offset: usize) -> Option<crate::SourceLocation<'_>> {
        self.source_map.locate(&self.text, offset)
    }
}

/// A set of named templates sharing functions and options: Go's template namespace.
#[derive(Clone, Debug)]
pub struct Templates {
    pub(crate) name: String,
    pub(crate) trees: HashMap<String, Arc<Tree>>,
    pub(crate) funcs: Arc<FuncMap>,
    pub(crate) missing_key: MissingKey,
    pub(crate) limits: Limits,
    left_delim: String,
    right_delim: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl Templates {
    /// An empty set with Go's builtin functions.
    pub fn new() -> Templates {
        Templates::with_funcs(FuncMap::new())
    }

    /// An empty set with these functions (which include the builtins).
    pub fn with_funcs(funcs: FuncMap) -> Templates {
        Templates {
            name: String::new(),
            trees: HashMap::new(),
            funcs: Arc::new(funcs),
            missing_key: MissingKey::Default,
            limits: Limits::default(),
            left_delim: "{{".into(),
            right_delim: "}}".into(),
        }
    }

    /// Names the set, as Go's root template is named (it appears in "no template" errors).
    pub fn set_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.name = name.into();
        self
    }

    /// The functions templates can call.
    pub fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    /// Changes the functions; later parses and executions see the change.
    pub fn funcs_mut(&mut self) -> &mut FuncMap {
        Arc::make_mut(&mut self.funcs)
    }

    /// Sets the action delimiters for later parses (empty means the default `{{` / `}}`).
    pub fn delims(&mut self, left: &str, right: &str) -> &mut Self {
        self.left_delim = if left.is_empty() { "{{" } else { left }.into();
        self.right_delim = if right.is_empty() { "}}" } else { right }.into();
        self
    }

    /// Applies a Go option string such as `missingkey=zero`.
    pub fn option(&mut self, opt: &str) -> Result<&mut Self, String> {
        let Some((key, value)) = opt.split_once('=') else {
            return Err(format!("unrecognized option: {opt}"));
        };
        if key != "missingkey" {
            return Err(format!("unrecognized option: {opt}"));
        }
        self.missing_key = match value {
            "invalid" | "default" => MissingKey::Default,
            "zero" => MissingKey::Zero,
            "error" => MissingKey::Error,
            _ => return Err(format!("unrecognized option: {opt}")),
        };
        Ok(self)
    }

    /// Sets the missing-key behaviour.
    pub fn set_missing_key(&mut self, mk: MissingKey) -> &mut Self {
        self.missing_key = mk;
        self
    }

    /// The resource limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Replaces the resource limits.
    pub fn set_limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Parses `text` as template `name`, adding it and every template it defines to the set.
    /// As in Go, a later non-empty definition replaces an earlier one, and an empty one
    /// never replaces an existing template.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<&mut Self, ParseError> {
        let funcs = self.funcs.clone();
        let has_func = move |n: &str| funcs.contains(n);
        let opts = ParseOptions {
            left: &self.left_delim,
            right: &self.right_delim,
            has_func: &has_func,
            skip_func_check: false,
            max_depth: self.limits.max_parse_depth,
        };
        let trees = parse(name, text, &opts)?;
        for t in trees {
            if let Some(old) = self.trees.get(&t.name) {
                let _ = old;
                if crate::ast::is_empty_list(&t.root) {
                    continue;
                }
            }
            self.trees.insert(t.name.clone(), Arc::new(t));
        }
        Ok(self)
    }

    /// Whether template `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of the defined templates, sorted.
    pub fn template_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Go's `DefinedTemplates`: `; defined templates are: "a", "b"` (sorted here), or empty.
    pub fn defined_templates(&self) -> String {
        let names = self.template_names();
        if names.is_empty() {
            return String::new();
        }
        let quoted: Vec<String> = names
            .iter()
            .map(|n| crate::gofmt::quote(n, false))
            .collect();
        format!("; defined templates are: {}", quoted.join(", "))
    }

    /// Executes template `name` with `data` as dot and `$`.
    pub fn execute(&self, name: &str, data: &Value) -> Result<Rendered, ExecError> {
        let mut budget = exec::Budget::new(&self.limits);
        exec::execute(self, name, data.clone(), &mut budget, 0).map_err(|e| *e)
    }

    /// Executes template `name` and returns only the text.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        self.execute(name, data).map(|r| r.text)
    }

    pub(crate) fn no_template(&self, name: &str) -> ExecError {
        ExecError {
            kind: ExecErrorKind::Eval,
            template: String::new(),
            location: None,
            message: format!(
                "no template {} associated with template {}",
                crate::gofmt::quote(name, false),
                crate::gofmt::quote(&self.name, false)
            ),
            inner: None,
        }
    }
}

/// Parses `text` as a single template named `name` with the builtins and executes it:
/// a convenience for tests and one-off rendering.
pub fn render_str(name: &str, text: &str, data: &Value) -> Result<String, Error> {
    let mut t = Templates::new();
    t.parse(name, text)?;
    Ok(t.render(name, data)?)
}
