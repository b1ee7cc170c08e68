//! The parser: tokens into trees, with Go's grammar, checks and error texts.

use crate::ast::*;
use crate::error::ParseError;
use crate::lex::{Lexer, Tok, Token};
use crate::pos::Pos;
use std::sync::Arc;

pub(crate) struct ParseOptions<'a> {
    pub left: &'a str,
    pub right: &'a str,
    pub has_func: &'a dyn Fn(&str) -> bool,
    pub skip_func_check: bool,
    pub max_depth: usize,
}

/// Parses `text` as template `name`; returns every tree it defines, the top-level one first.
pub(crate) fn parse(
    name: &str,
    text: &str,
    opts: &ParseOptions<'_>,
) -> Result<Vec<Tree>, ParseError> {
    let source = Arc::new(Source::new(name, text));
    let toks = Lexer::lex(
        text,
        opts.left,
        opts.right,
        !(opts.has_func)("break"),
        !(opts.has_func)("continue"),
    );
    let mut p = Parser {
        toks,
        i: 0,
        max_seen: 0,
        source,
        opts,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        depth: 0,
        trees: Vec::new(),
    };
    let root = p.parse_top()?;
    let top = Tree {
        name: name.to_string(),
        source: p.source.clone(),
        root,
    };
    p.add(top)?;
    // Put the top-level tree first.
    if let Some(i) = p.trees.iter().position(|t| t.name == name) {
        let t = p.trees.remove(i);
        p.trees.insert(0, t);
    }
    Ok(p.trees)
}

struct Parser<'a> {
    toks: Vec<Token>,
    i: usize,
    max_seen: usize,
    source: Arc<Source>,
    opts: &'a ParseOptions<'a>,
    vars: Vec<String>,
    range_depth: usize,
    action_line: u32,
    depth: usize,
    trees: Vec<Tree>,
}

/// What `item_list` stopped at.
enum Stop {
    End,
    Else(Pos),
}

type PResult<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn tok(&mut self, i: usize) -> Token {
        let idx = i.min(self.toks.len().saturating_sub(1));
        if idx > self.max_seen {
            self.max_seen = idx;
        }
        self.toks.get(idx).cloned().unwrap_or(Token {
            kind: Tok::Eof,
            pos: self.source.text.len(),
            val: String::new(),
            line: 1,
        })
    }

    fn next(&mut self) -> Token {
        let t = self.tok(self.i);
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    fn peek(&mut self) -> Token {
        self.tok(self.i)
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.kind != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn pos(&self, offset: usize) -> Pos {
        self.source.pos(offset)
    }

    fn error_at(&self, line: u32, offset: usize, message: String) -> ParseError {
        let pos = self.pos(offset);
        ParseError {
            name: self.source.name.to_string(),
            line,
            column: pos.column,
            offset: pos.offset,
            message,
        }
    }

    /// An error at the most recently lexed token, as Go reports it.
    fn error(&self, message: String) -> ParseError {
        let t = self
            .toks
            .get(self.max_seen)
            .or_else(|| self.toks.last())
            .cloned();
        match t {
            Some(t) => self.error_at(t.line, t.pos, message),
            None => self.error_at(1, 0, message),
        }
    }

    fn unexpected(&self, token: &Token, context: &str) -> ParseError {
        if token.kind == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.source.name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error_at(token.line, token.pos, format!("{}{}", token.val, extra));
        }
        self.error_at(
            token.line,
            token.pos,
            format!("unexpected {} in {}", token.describe(), context),
        )
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.opts.max_depth {
            return Err(self.error(format!(
                "exceeded maximum template nesting depth ({})",
                self.opts.max_depth
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Go's `Tree.add` into the set of this parse.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        match self.trees.iter().position(|t| t.name == tree.name) {
            None => {
                self.trees.push(tree);
                Ok(())
            }
            Some(i) if is_empty_list(&self.trees[i].root) => {
                self.trees[i] = tree;
                Ok(())
            }
            Some(_) => {
                if !is_empty_list(&tree.root) {
                    return Err(self.error(format!(
                        "template: multiple definition of template {}",
                        crate::gofmt::quote(&tree.name, false)
                    )));
                }
                Ok(())
            }
        }
    }

    fn parse_top(&mut self) -> PResult<List> {
        let start = self.peek().pos;
        let mut list = List {
            pos: self.pos(start),
            nodes: Vec::new(),
        };
        while self.peek().kind != Tok::Eof {
            if self.peek().kind == Tok::LeftDelim {
                let mark = self.i;
                self.next();
                if self.next_non_space().kind == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.i = mark;
            }
            match self.text_or_action()? {
                Item::Node(n) => list.nodes.push(n),
                Item::End => return Err(self.error("unexpected {{end}}".into())),
                Item::Else(_) => return Err(self.error("unexpected {{else}}".into())),
            }
        }
        if let Some(t) = self.toks.iter().find(|t| t.kind == Tok::Error) {
            // Unreachable in practice: errors stop the token stream before EOF.
            let t = t.clone();
            return Err(self.unexpected(&t, "input"));
        }
        Ok(list)
    }

    /// Runs `f` as the parse of a new tree (define or block), with fresh variables.
    fn sub_tree<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = f(self);
        self.vars = vars;
        self.range_depth = range_depth;
        r
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        self.enter()?;
        let name_tok = self.next_non_space();
        if name_tok.kind != Tok::String && name_tok.kind != Tok::RawString {
            return Err(self.unexpected(&name_tok, CONTEXT));
        }
        let name = unquote(&name_tok.val).map_err(|e| self.error(e.into()))?;
        self.expect(Tok::RightDelim, CONTEXT)?;
        let (root, end) = self.sub_tree(|p| p.item_list())?;
        if let Stop::Else(_) = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        self.add(Tree {
            name,
            source: self.source.clone(),
            root,
        })?;
        self.leave();
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(List, Stop)> {
        let start = self.peek_non_space().pos;
        let mut list = List {
            pos: self.pos(start),
            nodes: Vec::new(),
        };
        while self.peek_non_space().kind != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.nodes.push(n),
                Item::End => return Ok((list, Stop::End)),
                Item::Else(p) => return Ok((list, Stop::Else(p))),
            }
        }
        Err(self.error("unexpected EOF".into()))
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Text => Ok(Item::Node(Node::Text {
                pos: self.pos(t.pos),
                text: t.val,
            })),
            Tok::LeftDelim => {
                self.action_line = t.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Block => return self.block_control().map(Item::Node),
            Tok::Break => return self.break_control(&t, true).map(Item::Node),
            Tok::Continue => return self.break_control(&t, false).map(Item::Node),
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => return self.control("if").map(|b| Item::Node(Node::If(b))),
            Tok::Range => return self.control("range").map(|b| Item::Node(Node::Range(b))),
            Tok::Template => return self.template_control().map(Item::Node),
            Tok::With => return self.control("with").map(|b| Item::Node(Node::With(b))),
            _ => {}
        }
        self.backup();
        let first = self.peek();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Item::Node(Node::Action {
            pos: self.pos(first.pos),
            pipe,
        }))
    }

    fn break_control(&mut self, kw: &Token, is_break: bool) -> PResult<Node> {
        let name = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let t = self.next_non_space();
        if t.kind != Tok::RightDelim {
            return Err(self.unexpected(&t, name));
        }
        if self.range_depth == 0 {
            return Err(self.error(format!("{name} outside {{{{range}}}}")));
        }
        let pos = self.pos(kw.pos);
        Ok(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        })
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek_non_space();
        if peek.kind == Tok::If || peek.kind == Tok::With {
            // "{{else if …" is "{{else}}{{if …": the keyword stays pending.
            return Ok(Item::Else(self.pos(peek.pos)));
        }
        let t = self.expect(Tok::RightDelim, "else")?;
        Ok(Item::Else(self.pos(t.pos)))
    }

    fn control(&mut self, context: &str) -> PResult<Branch> {
        self.enter()?;
        let nvars = self.vars.len();
        let r = self.control_inner(context);
        self.vars.truncate(nvars);
        self.leave();
        r
    }

    fn control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, stop) = r?;
        let mut else_list = None;
        if let Stop::Else(else_pos) = stop {
            let peek = self.peek();
            if context == "if" && peek.kind == Tok::If {
                self.next();
                let b = self.control("if")?;
                else_list = Some(List {
                    pos: else_pos,
                    nodes: vec![Node::If(b)],
                });
            } else if context == "with" && peek.kind == Tok::With {
                self.next();
                let b = self.control("with")?;
                else_list = Some(List {
                    pos: else_pos,
                    nodes: vec![Node::With(b)],
                });
            } else {
                let (l, stop) = self.item_list()?;
                if let Stop::Else(_) = stop {
                    return Err(self.error("expected end; found {{else}}".into()));
                }
                else_list = Some(l);
            }
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.kind {
            Tok::String | Tok::RawString => unquote(&t.val).map_err(|e| self.error(e.into())),
            _ => Err(self.unexpected(t, context)),
        }
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        self.enter()?;
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::RightDelim)?;
        let (root, end) = self.sub_tree(|p| p.item_list())?;
        if let Stop::Else(_) = end {
            return Err(self.error(format!("unexpected {{{{else}}}} in {CONTEXT}")));
        }
        self.add(Tree {
            name: name.clone(),
            source: self.source.clone(),
            root,
        })?;
        self.leave();
        Ok(Node::Template {
            pos: self.pos(t.pos),
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, Tok::RightDelim)?);
        }
        Ok(Node::Template {
            pos: self.pos(t.pos),
            name,
            pipe,
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: self.pos(start.pos),
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != Tok::Variable {
                break;
            }
            let mark = self.i;
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.kind == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(VarDecl {
                        pos: self.pos(v.pos),
                        name: v.val.clone(),
                    });
                    self.vars.push(v.val.clone());
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(VarDecl {
                        pos: self.pos(v.pos),
                        name: v.val.clone(),
                    });
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                            _ => {
                                return Err(self.error("range can only initialize variables".into()))
                            }
                        }
                    }
                    return Err(self.error(format!("too many declarations in {context}")));
                }
                _ => {
                    let _ = after;
                    self.i = mark;
                }
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.kind {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if let Some(a) = c.args.first() {
                if a.is_constant() {
                    return Err(self.error(format!(
                        "non executable command in pipeline stage {}",
                        i + 1
                    )));
                }
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            pos: self.pos(start.pos),
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.kind {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.error("empty command".into()));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Tok::Field {
            return Ok(Some(node));
        }
        let chain_off = self.peek().pos;
        let chain_pos = self.pos(chain_off);
        let mut fields = Vec::new();
        while self.peek().kind == Tok::Field {
            let t = self.next();
            fields.push(t.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool(..) | Arg::String { .. } | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                return Err(self.error(format!(
                    "unexpected . after term {}",
                    crate::gofmt::quote(&node.to_string(), false)
                )));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let pos = self.pos(t.pos);
        Ok(Some(match t.kind {
            Tok::Identifier => {
                if !self.opts.skip_func_check && !(self.opts.has_func)(&t.val) {
                    return Err(self.error(format!(
                        "function {} not defined",
                        crate::gofmt::quote(&t.val, false)
                    )));
                }
                Arg::Identifier { pos, name: t.val }
            }
            Tok::Dot => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable => {
                let name = t.val.split('.').next().unwrap_or("").to_string();
                if !self.vars.contains(&name) {
                    return Err(self.error(format!(
                        "undefined variable {}",
                        crate::gofmt::quote(&name, false)
                    )));
                }
                Arg::Variable {
                    pos,
                    idents: t.val.split('.').map(String::from).collect(),
                }
            }
            Tok::Field => Arg::Field {
                pos,
                idents: t.val[1..].split('.').map(String::from).collect(),
            },
            Tok::Bool => Arg::Bool(pos, t.val == "true"),
            Tok::CharConstant | Tok::Number => {
                let n = new_number(pos, &t.val, t.kind == Tok::CharConstant)
                    .map_err(|e| self.error(e))?;
                Arg::Number(Box::new(n))
            }
            Tok::LeftParen => {
                self.enter()?;
                let p = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                self.leave();
                Arg::Pipe(Box::new(p))
            }
            Tok::String | Tok::RawString => {
                let text = unquote(&t.val).map_err(|e| self.error(e.into()))?;
                Arg::String {
                    pos,
                    quoted: t.val,
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Item {
    Node(Node),
    End,
    Else(#[allow(dead_code)] Pos),
}

/// Go's `strconv.Unquote` for "…", `…` and '…' literals.
pub(crate) fn unquote(s: &str) -> Result<String, &'static str> {
    const BAD: &str = "invalid syntax";
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return Err(BAD);
    }
    let quote = b[0];
    let inner = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return Err(BAD);
            }
            Ok(inner.replace('\r', ""))
        }
        b'"' | b'\'' => {
            if inner.contains('\n') {
                return Err(BAD);
            }
            let mut out = String::with_capacity(inner.len());
            let mut rest = inner;
            let mut count = 0;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, quote as char)?;
                out.push(c);
                rest = tail;
                count += 1;
            }
            if quote == b'\'' && count != 1 {
                return Err(BAD);
            }
            Ok(out)
        }
        _ => Err(BAD),
    }
}

/// Go's `strconv.UnquoteChar`. Byte escapes (\x80–\xff, octal) become the char of that code.
pub(crate) fn unquote_char(s: &str, quote: char) -> Result<(char, &str), &'static str> {
    const BAD: &str = "invalid syntax";
    let mut it = s.chars();
    let c = it.next().ok_or(BAD)?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(BAD);
    }
    if c != '\\' {
        return Ok((c, it.as_str()));
    }
    let e = it.next().ok_or(BAD)?;
    let rest = it.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return Err(BAD);
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c, rest));
    }
    match e {
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            if rest.len() < n || !rest.is_char_boundary(n) {
                return Err(BAD);
            }
            let v = u32::from_str_radix(&rest[..n], 16).map_err(|_| BAD)?;
            if !rest[..n].bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BAD);
            }
            let c = char::from_u32(v).ok_or(BAD)?;
            Ok((c, &rest[n..]))
        }
        '0'..='7' => {
            let digits = format!("{e}{}", rest.get(..2).ok_or(BAD)?);
            if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return Err(BAD);
            }
            let v = u32::from_str_radix(&digits, 8).map_err(|_| BAD)?;
            if v > 255 {
                return Err(BAD);
            }
            Ok((char::from_u32(v).ok_or(BAD)?, &rest[2..]))
        }
        _ => Err(BAD),
    }
}

fn new_number(pos: Pos, text: &str, is_char: bool) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        int: 0,
        float: 0.0,
    };
    if is_char {
        let (c, tail) = unquote_char(&text[1..], '\'').map_err(String::from)?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int = c as i64;
        n.is_int = true;
        n.is_uint = true;
        n.float = c as u32 as f64;
        n.is_float = true;
        return Ok(n);
    }
    if text.ends_with('i') {
        return Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text, false)
        ));
    }
    let u = parse_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.float = u as f64;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!(
                "integer overflow: {}",
                crate::gofmt::quote(text, false)
            ));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text, false)
        ));
    }
    Ok(n)
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1] | 0x20 == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || hex && (b'a'..=b'f').contains(&(c | 0x20)) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (base, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() && base != 8 {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(&digits, base).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if u < 1u64 << 63 {
        Some(u as i64)
    } else {
        None
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the number forms the lexer produces.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        parse_hex_float(h)?
    } else {
        if !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn parse_hex_float(h: &str) -> Option<f64> {
    let (mant, exp) = h.split_once(['p', 'P'])?;
    let exp: i64 = exp.parse().ok()?;
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars().chain(frac_part.chars()) {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let e = exp - 4 * frac_part.len() as i64;
    Some(v * 2f64.powi(e.clamp(-2000, 2000) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_follows_go() {
        assert_eq!(unquote(r#""a\tb\u00e9\x41\101""#).as_deref(), Ok("a\tbéAA"));
        assert_eq!(unquote("`a\\n\r`").as_deref(), Ok("a\\n"));
        assert_eq!(unquote(r#""\'""#), Err("invalid syntax"));
        assert_eq!(unquote(r#"'\''"#).as_deref(), Ok("'"));
        assert_eq!(unquote(r#""\q""#), Err("invalid syntax"));
        assert_eq!(unquote(r#""\400""#), Err("invalid syntax"));
        assert_eq!(unquote(r#""\ud800""#), Err("invalid syntax"));
        assert_eq!(unquote("\"a"), Err("invalid syntax"));
    }

    #[test]
    fn numbers_follow_go() {
        assert_eq!(parse_int("0x_1F"), Some(31));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_uint("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_float("0x1.8p3"), Some(12.0));
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("1_0.5"), Some(10.5));
        let n = new_number(Pos::default(), "1e3", false).unwrap();
        assert!(n.is_int && n.is_float && n.int == 1000);
        assert_eq!(
            new_number(Pos::default(), "99999999999999999999", false).unwrap_err(),
            "integer overflow: \"99999999999999999999\""
        );
    }

    #[test]
    fn nodes_carry_positions() {
        let has = |_: &str| true;
        let opts = ParseOptions {
            left: "",
            right: "",
            has_func: &has,
            skip_func_check: false,
            max_depth: 100,
        };
        let trees = parse("t", "ab\n  {{- if .x }}é {{ $v := .y.z }}{{ end }}", &opts).unwrap();
        let root = &trees[0].root;
        let Node::If(b) = &root.nodes[1] else {
            panic!("not an if: {:?}", root.nodes)
        };
        assert_eq!((b.pos.line, b.pos.column, b.pos.offset), (2, 10, 12));
        let Node::Action { pos, pipe } = &b.list.nodes[1] else {
            panic!("not an action")
        };
        assert_eq!((pos.line, pos.column), (2, 20));
        assert_eq!(pipe.to_string(), "$v := .y.z");
        // A chained field is positioned where its chain starts, as in Go.
        assert_eq!(pipe.cmds[0].args[0].pos().column, 28);
    }
}
