//! The lexer: template text into tokens, with Go's trim-marker and comment rules.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Tok {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Tok,
    /// Byte offset of the token start.
    pub pos: usize,
    /// The token text (for `Error`, the message).
    pub val: String,
    /// 1-based line at the token start.
    pub line: u32,
}

impl Token {
    /// Go's `item.String()`, used in "unexpected …" messages.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            Tok::Eof => "EOF".into(),
            Tok::Error => self.val.clone(),
            k if k.is_keyword() => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", crate::gofmt::quote(&head, false))
                } else {
                    crate::gofmt::quote(&self.val, false)
                }
            }
        }
    }
}

const SPACE_CHARS: &[char] = &[' ', '\t', '\r', '\n'];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric` (letters, digits, underscore), approximated with Rust's classes.
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    start: usize,
    line: u32,
    start_line: u32,
    paren_depth: i32,
    break_ok: bool,
    continue_ok: bool,
    pub(crate) items: Vec<Token>,
}

enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Done,
}

impl<'a> Lexer<'a> {
    pub(crate) fn lex(
        input: &'a str,
        left: &'a str,
        right: &'a str,
        break_ok: bool,
        continue_ok: bool,
    ) -> Vec<Token> {
        let mut l = Lexer {
            input,
            left: if left.is_empty() { "{{" } else { left },
            right: if right.is_empty() { "}}" } else { right },
            pos: 0,
            start: 0,
            line: 1,
            start_line: 1,
            paren_depth: 0,
            break_ok,
            continue_ok,
            items: Vec::new(),
        };
        let mut state = State::Text;
        loop {
            state = match state {
                State::Text => l.lex_text(),
                State::LeftDelim => l.lex_left_delim(),
                State::Comment => l.lex_comment(),
                State::RightDelim => l.lex_right_delim(),
                State::InsideAction => l.lex_inside_action(),
                State::Done => break,
            };
        }
        l.items
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos.min(self.input.len())..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn emit(&mut self, kind: Tok) {
        self.items.push(Token {
            kind,
            pos: self.start,
            val: self.input[self.start..self.pos].to_string(),
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count() as u32;
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn error(&mut self, msg: String) -> State {
        self.items.push(Token {
            kind: Tok::Error,
            pos: self.start,
            val: msg,
            line: self.start_line,
        });
        State::Done
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(self.left) {
            let delim_at = self.pos + x;
            let ldn = self.left.len();
            let mut trim = 0;
            if has_left_trim(&self.input[delim_at + ldn..]) {
                let before = &self.input[self.start..delim_at];
                trim = before.len() - before.trim_end_matches(SPACE_CHARS).len();
            }
            self.pos = delim_at - trim;
            if self.pos > self.start {
                self.line += self.input[self.start..self.pos].matches('\n').count() as u32;
                self.emit(Tok::Text);
            }
            self.pos += trim;
            self.ignore();
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.input[self.start..self.pos].matches('\n').count() as u32;
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(self.right) {
            return (true, true);
        }
        if rest.starts_with(self.right) {
            return (true, false);
        }
        (false, false)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += self.left.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.rest()[after..].starts_with("/*") {
            self.pos += after;
            self.ignore();
            return State::Comment;
        }
        self.emit(Tok::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += 2;
        let Some(i) = self.rest().find("*/") else {
            return self.error("unclosed comment".into());
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            let r = self.rest();
            self.pos += r.len() - r.trim_start_matches(SPACE_CHARS).len();
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim = has_right_trim(self.rest());
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += self.right.len();
        self.emit(Tok::RightDelim);
        if trim {
            let r = self.rest();
            self.pos += r.len() - r.trim_start_matches(SPACE_CHARS).len();
            self.ignore();
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        loop {
            let (delim, _) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    return State::RightDelim;
                }
                return self.error("unclosed left paren".into());
            }
            let Some(r) = self.next() else {
                return self.error("unclosed action".into());
            };
            match r {
                c if is_space(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.lex_space() {
                        return s;
                    }
                }
                '=' => self.emit(Tok::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        return self.error("expected :=".into());
                    }
                    self.emit(Tok::Declare);
                }
                '|' => self.emit(Tok::Pipe),
                '"' => {
                    if let Some(s) = self.lex_quote() {
                        return s;
                    }
                }
                '`' => {
                    if let Some(s) = self.lex_raw_quote() {
                        return s;
                    }
                }
                '$' => {
                    if let Some(s) = self.lex_variable() {
                        return s;
                    }
                }
                '\'' => {
                    if let Some(s) = self.lex_char() {
                        return s;
                    }
                }
                '.' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => {
                    if let Some(s) = self.lex_field_or_variable(Tok::Field) {
                        return s;
                    }
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.backup(Some(r));
                    if let Some(s) = self.lex_number() {
                        return s;
                    }
                }
                c if is_alnum(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.lex_identifier() {
                        return s;
                    }
                }
                '(' => {
                    self.emit(Tok::LeftParen);
                    self.paren_depth += 1;
                }
                ')' => {
                    self.emit(Tok::RightParen);
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return self.error("unexpected right paren U+0029 ')'".into());
                    }
                }
                c if c.is_ascii() && (' '..='~').contains(&c) => self.emit(Tok::Char),
                c => {
                    return self.error(format!(
                        "unrecognized character in action: {}",
                        go_unicode_desc(c)
                    ));
                }
            }
        }
    }

    fn lex_space(&mut self) -> Option<State> {
        let mut num = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            num += 1;
        }
        // A space followed by "-}}" is a trim marker, not an argument separator.
        let before = &self.input[self.pos - 1..];
        if has_right_trim(before) && before[2..].starts_with(self.right) {
            let c = self.input[..self.pos].chars().next_back();
            self.backup(c);
            if num == 1 {
                return Some(State::RightDelim);
            }
        }
        self.emit(Tok::Space);
        None
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(self.right),
        }
    }

    fn lex_identifier(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                other => {
                    self.backup(other);
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        return Some(self.bad_char(other));
                    }
                    let kind = match word {
                        "block" => Tok::Block,
                        "break" if self.break_ok => Tok::Break,
                        "continue" if self.continue_ok => Tok::Continue,
                        "define" => Tok::Define,
                        "else" => Tok::Else,
                        "end" => Tok::End,
                        "if" => Tok::If,
                        "range" => Tok::Range,
                        "nil" => Tok::Nil,
                        "template" => Tok::Template,
                        "with" => Tok::With,
                        "true" | "false" => Tok::Bool,
                        _ => Tok::Identifier,
                    };
                    self.emit(kind);
                    return None;
                }
            }
        }
    }

    fn bad_char(&mut self, c: Option<char>) -> State {
        let desc = match c {
            Some(c) => go_unicode_desc(c),
            None => "U+FFFFFFFFFFFFFFFF".into(),
        };
        self.error(format!("bad character {desc}"))
    }

    fn lex_variable(&mut self) -> Option<State> {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return None;
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> Option<State> {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return None;
        }
        let mut last;
        loop {
            last = self.next();
            match last {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup(last);
                    break;
                }
            }
        }
        if !self.at_terminator() {
            return Some(self.bad_char(last));
        }
        self.emit(kind);
        None
    }

    fn lex_char(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        return Some(self.error("unterminated character constant".into()))
                    }
                    _ => {}
                },
                Some('\n') | None => {
                    return Some(self.error("unterminated character constant".into()))
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Tok::CharConstant);
        None
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn lex_number(&mut self) -> Option<State> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return Some(self.error(format!(
                "bad number syntax: {}",
                crate::gofmt::quote(&text, false)
            )));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Complex constants such as 1+2i are not supported.
            self.scan_number();
            let text = self.input[self.start..self.pos].to_string();
            return Some(self.error(format!(
                "bad number syntax: {}",
                crate::gofmt::quote(&text, false)
            )));
        }
        self.emit(Tok::Number);
        None
    }

    fn lex_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        return Some(self.error("unterminated quoted string".into()))
                    }
                    _ => {}
                },
                Some('\n') | None => return Some(self.error("unterminated quoted string".into())),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Tok::String);
        None
    }

    fn lex_raw_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                None => return Some(self.error("unterminated raw quoted string".into())),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Tok::RawString);
        None
    }
}

/// Go's `%#U` rendering of a rune: `U+0041 'A'`.
pub(crate) fn go_unicode_desc(c: char) -> String {
    let u = c as u32;
    if crate::gofmt::is_print(c) {
        format!("U+{u:04X} '{c}'")
    } else {
        format!("U+{u:04X}")
    }
}
