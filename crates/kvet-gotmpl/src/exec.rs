//! Execution: walking trees over data, with Go's evaluation rules and error texts.

use crate::ast::*;
use crate::error::{Error, ErrorLocation, ExecError, ExecErrorKind, FuncError};
use crate::funcs::{CallContext, Engine, FnImpl, Function, ParamType, Params};
use crate::gofmt;
use crate::pos::Pos;
use crate::sourcemap::SourceMap;
use crate::template::{Limits, MissingKey, Rendered, Templates};
use crate::value::{HostObject, Value};
use std::sync::Arc;

type EResult<T> = Result<T, Box<ExecError>>;

/// The evaluation step budget shared by an execution and everything it calls.
pub(crate) struct Budget {
    left: u64,
    max: u64,
    /// Address of a local in the outermost execution frame: the base for stack use.
    stack_base: usize,
    max_stack: usize,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Budget {
        Budget {
            left: limits.max_steps,
            max: limits.max_steps,
            stack_base: stack_address(),
            max_stack: limits.max_stack_bytes,
        }
    }

    fn stack_used(&self) -> usize {
        stack_address().abs_diff(self.stack_base)
    }
}

/// The address of a local variable: how deep the native (or wasm shadow) stack is.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// A value as Go's reflection sees it: `boxed` when it is held in an `interface{}`
/// (an element of a map or list), which changes type names in errors and nil handling.
#[derive(Clone, Debug)]
struct Val {
    v: Value,
    boxed: bool,
}

impl Val {
    fn plain(v: Value) -> Val {
        Val { v, boxed: false }
    }
    fn boxed(v: Value) -> Val {
        let v = match v {
            Value::Missing => Value::Nil,
            v => v,
        };
        Val { v, boxed: true }
    }
    fn missing() -> Val {
        Val::plain(Value::Missing)
    }
    /// What `evalPipeline` does after each command: take the value out of its interface.
    fn unboxed(self) -> Val {
        match self.v {
            Value::Nil => Val::missing(),
            v => Val::plain(v),
        }
    }
    fn type_name(&self) -> &str {
        if self.boxed {
            "interface {}"
        } else {
            self.v.type_name()
        }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node being evaluated, for error messages.
#[derive(Clone, Copy)]
enum Cur<'t> {
    None,
    Node(&'t Node),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
}

impl Cur<'_> {
    fn pos_and_text(&self) -> Option<(Pos, String)> {
        match self {
            Cur::None => None,
            Cur::Node(n) => Some((n.pos(), n.to_string())),
            Cur::Pipe(p) => Some((p.pos, p.to_string())),
            Cur::Cmd(c) => Some((c.pos, c.to_string())),
            Cur::Arg(a) => Some((a.pos(), a.to_string())),
        }
    }
}

/// Output text with its source map and size limit.
struct Output {
    text: String,
    map: SourceMap,
    max: usize,
    last_src: Option<(*const crate::ast::Source, u32)>,
}

impl Output {
    fn new(max: usize) -> Output {
        Output {
            text: String::new(),
            map: SourceMap::new(),
            max,
            last_src: None,
        }
    }

    fn src_id(&mut self, src: &Arc<Source>) -> u32 {
        let ptr = Arc::as_ptr(src);
        if let Some((p, id)) = self.last_src {
            if std::ptr::eq(p, ptr) {
                return id;
            }
        }
        let id = self.map.source_id(&src.name);
        self.last_src = Some((ptr, id));
        id
    }

    fn room(&self, n: usize) -> bool {
        self.text.len().saturating_add(n) <= self.max
    }
}

struct State<'t, 'b> {
    set: &'t Templates,
    tree: &'t Tree,
    /// The template being executed (Go's `s.tmpl.Name()`).
    name: &'t str,
    node: Cur<'t>,
    vars: Vec<(&'t str, Val)>,
    depth: usize,
    out: Output,
    budget: &'b mut Budget,
}

/// Executes template `name` of `set`.
pub(crate) fn execute(
    set: &Templates,
    name: &str,
    data: Value,
    budget: &mut Budget,
    depth: usize,
) -> EResult<Rendered> {
    let Some(tree) = set.trees.get(name) else {
        return Err(Box::new(set.no_template(name)));
    };
    // Go's reflect.ValueOf(nil) is no value at all.
    let dot = match data {
        Value::Nil => Val::missing(),
        v => Val::plain(v),
    };
    let mut s = State {
        set,
        tree,
        name: &tree.name,
        node: Cur::None,
        vars: vec![("$", dot.clone())],
        depth,
        out: Output::new(set.limits.max_output_bytes),
        budget,
    };
    if depth > set.limits.max_call_depth {
        return Err(s.limit_error(
            ExecErrorKind::DepthLimit,
            format!(
                "exceeded maximum template depth ({})",
                set.limits.max_call_depth
            ),
        ));
    }
    s.walk_list(&dot, &tree.root)?;
    Ok(Rendered {
        text: s.out.text,
        source_map: s.out.map,
    })
}

fn is_hex_int(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') && !s.contains(['p', 'P'])
}

enum Callee {
    Func(Arc<Function>),
    Method(Arc<dyn HostObject>, Params),
}

impl<'t> State<'t, '_> {
    fn at(&mut self, c: Cur<'t>) {
        self.node = c;
    }

    fn make_error(&self, kind: ExecErrorKind, message: String) -> Box<ExecError> {
        let location = self.node.pos_and_text().map(|(pos, context)| {
            let src = &self.tree.source;
            Box::new(ErrorLocation {
                source: src.name.to_string(),
                line: pos.line,
                column: pos.column,
                offset: pos.offset,
                go_column: src.lines.go_column(pos),
                context,
            })
        });
        Box::new(ExecError {
            kind,
            template: self.name.to_string(),
            location,
            message,
            inner: None,
        })
    }

    fn error(&self, message: String) -> Box<ExecError> {
        self.make_error(ExecErrorKind::Eval, message)
    }

    fn limit_error(&self, kind: ExecErrorKind, message: String) -> Box<ExecError> {
        self.make_error(kind, message)
    }

    fn step(&mut self) -> EResult<()> {
        if self.budget.left == 0 {
            return Err(self.limit_error(
                ExecErrorKind::StepLimit,
                format!("exceeded maximum evaluation steps ({})", self.budget.max),
            ));
        }
        self.budget.left -= 1;
        Ok(())
    }

    fn output_limit(&self) -> Box<ExecError> {
        self.limit_error(
            ExecErrorKind::OutputLimit,
            format!(
                "exceeded maximum output size ({} bytes)",
                self.set.limits.max_output_bytes
            ),
        )
    }

    fn write_text(&mut self, text: &str, pos: Pos) -> EResult<()> {
        if !self.out.room(text.len()) {
            return Err(self.output_limit());
        }
        let id = self.out.src_id(&self.tree.source);
        let base = self.out.text.len();
        self.out.map.push(base, id, pos.line, pos.column, true);
        let mut line = pos.line;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' && i + 1 < text.len() {
                line += 1;
                self.out.map.push(base + i + 1, id, line, 1, true);
            }
        }
        self.out.text.push_str(text);
        Ok(())
    }

    fn write_action(&mut self, text: &str, pos: Pos, inner: Option<&SourceMap>) -> EResult<()> {
        if text.is_empty() {
            return Ok(());
        }
        if !self.out.room(text.len()) {
            return Err(self.output_limit());
        }
        let id = self.out.src_id(&self.tree.source);
        let base = self.out.text.len();
        self.out.map.push(base, id, pos.line, pos.column, false);
        if let Some(m) = inner {
            self.out.map.splice(base, m);
        }
        self.out.text.push_str(text);
        Ok(())
    }

    // ---- variables ----

    fn push_var(&mut self, name: &'t str, v: Val) {
        self.vars.push((name, v));
    }

    fn set_var(&mut self, name: &str, v: Val) -> EResult<()> {
        for (n, slot) in self.vars.iter_mut().rev() {
            if *n == name {
                *slot = v;
                return Ok(());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn var_value(&self, name: &str) -> EResult<Val> {
        for (n, v) in self.vars.iter().rev() {
            if *n == name {
                return Ok(v.clone());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    // ---- walking ----

    fn walk_list(&mut self, dot: &Val, list: &'t List) -> EResult<Flow> {
        for n in &list.nodes {
            match self.walk(dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    /// Guards recursion: nested control structures, template calls and function-driven
    /// executions all consume native stack, so their combined depth is bounded by bytes.
    fn check_stack(&self) -> EResult<()> {
        if self.budget.stack_used() > self.budget.max_stack {
            return Err(self.limit_error(
                ExecErrorKind::DepthLimit,
                format!(
                    "exceeded maximum template nesting ({} bytes of stack)",
                    self.budget.max_stack
                ),
            ));
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Val, node: &'t Node) -> EResult<Flow> {
        self.at(Cur::Node(node));
        self.step()?;
        if !matches!(node, Node::Text { .. }) {
            self.check_stack()?;
        }
        match node {
            Node::Text { pos, text } => {
                self.write_text(text, *pos)?;
            }
            Node::Action { pipe, .. } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(node, v)?;
                }
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template { name, pipe, .. } => {
                self.walk_template(dot, node, name, pipe.as_ref())?;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, is_with: bool, dot: &Val, b: &'t Branch) -> EResult<Flow> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            if val.v.is_true() {
                if is_with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Val, r: &'t Branch) -> EResult<Flow> {
        let mark0 = self.vars.len();
        let res = self.walk_range_inner(dot, r);
        self.vars.truncate(mark0);
        res
    }

    fn walk_range_inner(&mut self, dot: &Val, r: &'t Branch) -> EResult<Flow> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let ndecl = r.pipe.decl.len();
        let mut ran = false;
        // Runs one iteration; returns false to stop the loop.
        let mut one = |s: &mut Self, index: Val, elem: Val| -> EResult<bool> {
            ran = true;
            s.step()?;
            let n = s.vars.len();
            if ndecl > 0 {
                s.vars[n - 1].1 = elem.clone();
            }
            if ndecl > 1 {
                s.vars[n - 2].1 = index;
            }
            let f = s.walk_list(&elem, &r.list);
            s.vars.truncate(mark);
            Ok(!matches!(f?, Flow::Break))
        };
        match &val.v {
            Value::List(l) => {
                for (i, e) in l.iter().enumerate() {
                    if !one(
                        self,
                        Val::plain(Value::Int(i as i64)),
                        Val::boxed(e.clone()),
                    )? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                for (k, v) in m.entries() {
                    if !one(self, Val::plain(Value::string(k)), Val::boxed(v))? {
                        break;
                    }
                }
            }
            Value::Int(n) => {
                if ndecl > 1 {
                    return Err(self.error(format!(
                        "can't use {} to iterate over more than one variable",
                        gofmt::format_value(&val.v)
                    )));
                }
                for i in 0..*n {
                    if !one(self, Val::plain(Value::Int(i)), Val::plain(Value::Int(i)))? {
                        break;
                    }
                }
            }
            Value::Missing | Value::Nil => {}
            Value::Object(o) if o.entries().is_some() => {
                for (k, v) in o.entries().unwrap_or_default() {
                    if !one(self, Val::plain(k), Val::boxed(v))? {
                        break;
                    }
                }
            }
            other => {
                return Err(self.error(format!(
                    "range can't iterate over {}",
                    gofmt::format_value(other)
                )))
            }
        }
        if !ran {
            if let Some(e) = &r.else_list {
                return self.walk_list(dot, e);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_template(
        &mut self,
        dot: &Val,
        node: &'t Node,
        name: &str,
        pipe: Option<&'t Pipe>,
    ) -> EResult<()> {
        self.at(Cur::Node(node));
        let Some(tree) = self.set.trees.get(name) else {
            return Err(self.error(format!(
                "template {} not defined",
                gofmt::quote(name, false)
            )));
        };
        if self.depth >= self.set.limits.max_call_depth {
            return Err(self.limit_error(
                ExecErrorKind::DepthLimit,
                format!(
                    "exceeded maximum template depth ({})",
                    self.set.limits.max_call_depth
                ),
            ));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::missing(),
        };
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        let saved_name = std::mem::replace(&mut self.name, &tree.name);
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        self.depth += 1;
        let r = self.walk_list(&new_dot, &tree.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.name = saved_name;
        self.vars = saved_vars;
        r.map(|_| ())
    }

    // ---- evaluation ----

    fn eval_pipeline(&mut self, dot: &Val, pipe: &'t Pipe) -> EResult<Val> {
        self.at(Cur::Pipe(pipe));
        self.check_stack()?;
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.unboxed());
        }
        let value = value.unwrap_or_else(Val::missing);
        for d in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&d.name, value.clone())?;
            } else {
                self.push_var(&d.name, value.clone());
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], first: &Arg, fin: &Option<Val>) -> EResult<()> {
        if !args.is_empty() || fin.is_some() {
            return Err(self.error(format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val, cmd: &'t Command, fin: Option<Val>) -> EResult<Val> {
        self.step()?;
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_node(dot, first, idents, rest, fin)
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain_node(dot, first, node, fields, rest, fin)
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, Cur::Cmd(cmd), rest, fin)
            }
            Arg::Pipe(p) => {
                self.not_a_function(rest, first, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { idents, .. } => {
                return self.eval_variable_node(dot, first, idents, rest, fin)
            }
            _ => {}
        }
        self.at(Cur::Arg(first));
        self.not_a_function(rest, first, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Val::plain(Value::Bool(*b))),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.error("nil is not a command".into())),
            Arg::Number(n) => self.ideal_constant(first, n).map(Val::plain),
            Arg::String { text, .. } => Ok(Val::plain(Value::string(text.as_str()))),
            _ => Err(self.error(format!("can't evaluate command {first:?}"))),
        }
    }

    fn ideal_constant(&mut self, node: &'t Arg, n: &Number) -> EResult<Value> {
        self.at(Cur::Arg(node));
        if n.is_float
            && !is_hex_int(&n.text)
            && !n.text.starts_with('\'')
            && n.text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return Err(self.error(format!("{} overflows int", n.text)));
        }
        Ok(Value::Missing)
    }

    fn eval_field_node(
        &mut self,
        dot: &Val,
        node: &'t Arg,
        idents: &[String],
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        self.at(Cur::Arg(node));
        self.eval_field_chain(dot, dot.clone(), idents, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val,
        node: &'t Arg,
        inner: &'t Arg,
        fields: &[String],
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        self.at(Cur::Arg(node));
        if fields.is_empty() {
            return Err(self.error("internal error: no fields in evalChainNode".into()));
        }
        if let Arg::Nil(_) = inner {
            return Err(self.error(format!("indirection through explicit nil in {node}")));
        }
        // Go leaves the receiver as the current node: errors point at it.
        let recv = self.eval_arg_raw(dot, inner)?;
        self.eval_field_chain(dot, recv, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Val,
        node: &'t Arg,
        idents: &[String],
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        self.at(Cur::Arg(node));
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, node, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, &idents[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val,
        mut recv: Val,
        idents: &[String],
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            recv = self.eval_field(dot, ident, &[], None, recv)?;
        }
        self.eval_field(dot, &idents[n - 1], args, fin, recv)
    }

    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        args: &'t [Arg],
        fin: Option<Val>,
        recv: Val,
    ) -> EResult<Val> {
        let typ = recv.type_name().to_string();
        let has_args = !args.is_empty() || fin.is_some();
        match &recv.v {
            Value::Missing => {
                if self.set.missing_key == MissingKey::Error {
                    return Err(self.error(format!(
                        "nil data; no entry for key {}",
                        gofmt::quote(name, false)
                    )));
                }
                Ok(Val::missing())
            }
            Value::Nil => Err(self.error(format!("nil pointer evaluating {typ}.{name}"))),
            Value::Object(o) => {
                if let Some(params) = o.method(name) {
                    let callee = Callee::Method(o.clone(), params);
                    let node = self.node;
                    return self.eval_call(dot, callee, node, name, args, fin);
                }
                if let Some(v) = o.field(name) {
                    if has_args {
                        return Err(self.error(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    return Ok(match v {
                        Value::Nil | Value::Missing => Val::boxed(Value::Nil),
                        v => Val::plain(v),
                    });
                }
                Err(self.error(format!("can't evaluate field {name} in type {typ}")))
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                match m.get(name) {
                    Some(v) => Ok(Val::boxed(v)),
                    None => match self.set.missing_key {
                        MissingKey::Default => Ok(Val::missing()),
                        MissingKey::Zero => Ok(Val::boxed(Value::Nil)),
                        MissingKey::Error => Err(self.error(format!(
                            "map has no entry for key {}",
                            gofmt::quote(name, false)
                        ))),
                    },
                }
            }
            _ => Err(self.error(format!("can't evaluate field {name} in type {typ}"))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        node: &'t Arg,
        name: &str,
        call_node: Cur<'t>,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        self.at(Cur::Arg(node));
        let Some(f) = self.set.funcs.get(name).cloned() else {
            return Err(self.error(format!(
                "{} is not a defined function",
                gofmt::quote(name, false)
            )));
        };
        self.eval_call(dot, Callee::Func(f), call_node, name, args, fin)
    }

    fn eval_call(
        &mut self,
        dot: &Val,
        callee: Callee,
        node: Cur<'t>,
        name: &str,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> EResult<Val> {
        let params = match &callee {
            Callee::Func(f) => f.params.clone(),
            Callee::Method(_, p) => p.clone(),
        };
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = params.fixed.len();
        if params.variadic.is_some() {
            if num_in < num_fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                )));
            }
        } else if num_in != num_fixed {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            )));
        }
        // Short-circuit `and` / `or`: stop at the deciding argument.
        if let Callee::Func(f) = &callee {
            if let FnImpl::And | FnImpl::Or = f.imp {
                let is_or = matches!(f.imp, FnImpl::Or);
                let mut v = Val::missing();
                for a in args {
                    v = self.eval_arg_raw(dot, a)?;
                    if v.v.is_true() == is_or {
                        return Ok(v);
                    }
                }
                if let Some(fv) = fin {
                    v = fv;
                }
                return Ok(v);
            }
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, params.type_at(i), a)?);
        }
        if let Some(fv) = fin {
            let t = if params.variadic.is_some() && num_in > num_fixed {
                params.variadic.unwrap_or(ParamType::Any)
            } else {
                params.type_at(num_in - 1)
            };
            argv.push(self.validate_type(fv, t)?);
        }
        self.step()?;
        let result = match &callee {
            Callee::Func(f) => {
                let mut ctx = CallContext { engine: self };
                f.call(&mut ctx, argv)
            }
            Callee::Method(o, _) => o.call_method(name, argv),
        };
        match result {
            Ok(v) => Ok(match v {
                Value::Nil | Value::Missing => Val::boxed(Value::Nil),
                v => Val::plain(v),
            }),
            Err(e) => {
                self.at(node);
                let kind = e.limit.unwrap_or(ExecErrorKind::Eval);
                let mut err = self.make_error(kind, format!("error calling {name}: {}", e.message));
                err.inner = e.inner;
                Err(err)
            }
        }
    }

    /// Go's `evalArg` with a nil type (chain receivers) or a `reflect.Value` type (`and`/`or`).
    fn eval_arg_raw(&mut self, dot: &Val, n: &'t Arg) -> EResult<Val> {
        self.at(Cur::Arg(n));
        match n {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Val::missing()),
            Arg::Field { idents, .. } => self.eval_field_node(dot, n, idents, &[], None),
            Arg::Variable { idents, .. } => self.eval_variable_node(dot, n, idents, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, Cur::Arg(n), &[], None)
            }
            Arg::Chain { node, fields, .. } => {
                self.eval_chain_node(dot, n, node, fields, &[], None)
            }
            Arg::Bool(_, b) => Ok(Val::plain(Value::Bool(*b))),
            Arg::Number(num) => self.ideal_constant(n, num).map(Val::plain),
            Arg::String { text, .. } => Ok(Val::plain(Value::string(text.as_str()))),
        }
    }

    /// Go's `evalArg`: evaluates an argument for a parameter of type `t`.
    fn eval_arg(&mut self, dot: &Val, t: ParamType, n: &'t Arg) -> EResult<Value> {
        self.at(Cur::Arg(n));
        match n {
            Arg::Dot(_)
            | Arg::Field { .. }
            | Arg::Variable { .. }
            | Arg::Pipe(_)
            | Arg::Identifier { .. }
            | Arg::Chain { .. } => {
                let v = self.eval_arg_raw(dot, n)?;
                return self.validate_type(v, t);
            }
            Arg::Nil(_) => {
                if t.can_be_nil() {
                    return Ok(t.nil_value());
                }
                return Err(self.error(format!("cannot assign nil to {}", t.go_name())));
            }
            _ => {}
        }
        match t {
            ParamType::Bool => match n {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                _ => Err(self.error(format!("expected bool; found {n}"))),
            },
            ParamType::Float => match n {
                Arg::Number(num) if num.is_float => Ok(Value::Float(num.float)),
                _ => Err(self.error(format!("expected float; found {n}"))),
            },
            ParamType::Int => match n {
                Arg::Number(num) if num.is_int => Ok(Value::Int(num.int)),
                _ => Err(self.error(format!("expected integer; found {n}"))),
            },
            ParamType::String => match n {
                Arg::String { text, .. } => Ok(Value::string(text.as_str())),
                _ => Err(self.error(format!("expected string; found {n}"))),
            },
            ParamType::Any | ParamType::Value => Ok(self.eval_arg_raw(dot, n)?.v),
            ParamType::List | ParamType::Map => {
                Err(self.error(format!("can't handle {n} for arg of type {}", t.go_name())))
            }
        }
    }

    /// Go's `validateType`: checks a computed value against a parameter type.
    fn validate_type(&self, v: Val, t: ParamType) -> EResult<Value> {
        if let Value::Missing = v.v {
            if t.can_be_nil() {
                return Ok(t.nil_value());
            }
            return Err(self.error(format!("invalid value; expected {}", t.go_name())));
        }
        if t.accepts(&v.v) {
            return Ok(v.v);
        }
        let got = if matches!(v.v, Value::Nil) {
            "interface {}".to_string()
        } else {
            v.v.type_name().to_string()
        };
        Err(self.error(format!(
            "wrong type for value; expected {}; got {got}",
            t.go_name()
        )))
    }

    fn print_value(&mut self, node: &'t Node, v: Val) -> EResult<()> {
        self.at(Cur::Node(node));
        let pos = match node {
            Node::Action { pipe, .. } => pipe.pos,
            n => n.pos(),
        };
        match &v.v {
            Value::Missing => self.write_action("<no value>", pos, None),
            Value::Func(_) => Err(self.error(format!("can't print {node} of type func"))),
            Value::String(s) => {
                let s = s.clone();
                self.write_action(&s, pos, s.source_map())
            }
            other => {
                let text = gofmt::format_value(other);
                self.write_action(&text, pos, None)
            }
        }
    }
}

impl Engine for State<'_, '_> {
    fn execute_template(&mut self, name: &str, data: Value) -> Result<Rendered, ExecError> {
        execute(self.set, name, data, self.budget, self.depth + 1).map_err(|e| *e)
    }

    fn parse_and_execute(
        &mut self,
        name: &str,
        text: &str,
        data: Value,
    ) -> Result<Rendered, Error> {
        let mut tmp = self.set.clone();
        tmp.parse(name, text)?;
        Ok(execute(&tmp, name, data, self.budget, self.depth + 1).map_err(|e| *e)?)
    }

    fn limits(&self) -> &Limits {
        &self.set.limits
    }

    fn charge(&mut self, steps: u64) -> Result<(), FuncError> {
        if self.budget.left < steps {
            self.budget.left = 0;
            let mut e = FuncError::new(format!(
                "exceeded maximum evaluation steps ({})",
                self.budget.max
            ));
            e.limit = Some(ExecErrorKind::StepLimit);
            return Err(e);
        }
        self.budget.left -= steps;
        Ok(())
    }

    fn template_name(&self) -> &str {
        self.name
    }

    fn depth(&self) -> usize {
        self.depth
    }
}
