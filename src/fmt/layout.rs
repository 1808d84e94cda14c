//! Lays out rules clause by clause; see the module documentation of
//! [`crate::fmt`] for the rules it implements.

use super::tokens::{Block, Doc, Tok};
use super::MAX_WIDTH;
use crate::syntax::lexer::TokenKind;

/// Clause indentation inside a multi-line rule.
const CLAUSE: usize = 2;
/// Continuation lines of a clause.
const CONT: usize = 4;

const CLAUSE_KEYWORDS: &[&str] = &[
    "rule", "when", "if", "unless", "then", "fallback", "key", "limit", "once", "priority",
    "quiet", "goal", "holdout", "tag",
];

/// The formatted file as lines without line ends.
pub(super) fn render(doc: &Doc) -> Vec<String> {
    let mut w = Writer::default();
    for (k, block) in doc.blocks.iter().enumerate() {
        if k > 0 {
            w.blank();
        }
        comment_lines(&mut w, &block.leading);
        if block.leading.last().is_some() && block.body.first().is_some_and(|t| t.gap >= 2) {
            w.blank();
        }
        rule(&mut w, block);
    }
    if !doc.trailer.is_empty() && !doc.blocks.is_empty() {
        w.blank();
    }
    comment_lines(&mut w, &doc.trailer);
    w.finish()
}

/// Comment lines at the margin; a blank line between two of them is kept.
fn comment_lines(w: &mut Writer, comments: &[Tok]) {
    for (j, c) in comments.iter().enumerate() {
        if j > 0 && c.gap >= 2 {
            w.blank();
        }
        w.comment_line(0, c);
    }
}

/// A clause: its keyword and everything up to the next clause keyword, with
/// the comment lines written just above it.
#[derive(Default)]
struct Clause<'s> {
    leading: Vec<Tok<'s>>,
    toks: Vec<Tok<'s>>,
}

impl Clause<'_> {
    /// No comments, except one at the very end of its line.
    fn is_plain(&self) -> bool {
        let n = self.toks.len();
        self.leading.is_empty()
            && self
                .toks
                .iter()
                .enumerate()
                .all(|(i, t)| !t.is_comment() || (i + 1 == n && t.is_trailing_comment()))
    }

    fn is_header(&self) -> bool {
        self.toks.first().is_some_and(|t| t.is_kw("rule"))
    }
}

fn rule(w: &mut Writer, block: &Block) {
    let clauses = clauses(&block.body);
    let headed = clauses.first().is_some_and(Clause::is_header);
    if !headed && one_liner_fits(&clauses) {
        w.start(0);
        clauses.iter().flat_map(|c| &c.toks).for_each(|t| w.emit(t));
        return;
    }
    for (k, clause) in clauses.iter().enumerate() {
        let indent = if k == 0 { 0 } else { CLAUSE };
        write_clause(w, clause, indent);
    }
}

/// A headerless rule stays on one line when nothing forces a break.
fn one_liner_fits(clauses: &[Clause]) -> bool {
    let n = clauses.len();
    let plain = clauses.iter().enumerate().all(|(k, c)| {
        let comment_at_end = c.toks.iter().any(Tok::is_comment);
        !c.toks.is_empty() && c.is_plain() && (!comment_at_end || k + 1 == n)
    });
    let width = flat_width(clauses.iter().flat_map(|c| &c.toks));
    plain && width <= MAX_WIDTH
}

/// Splits a rule body at clause keywords at paren depth 0. Comment lines
/// just above a keyword move to the clause it starts; comment lines after
/// the last clause become a clause of their own with no tokens.
fn clauses<'s>(body: &[Tok<'s>]) -> Vec<Clause<'s>> {
    let mut out: Vec<Clause<'s>> = Vec::new();
    let mut depth = 0usize;
    let mut current = Clause::default();
    for t in body {
        let starts = !t.is_comment() && depth == 0 && CLAUSE_KEYWORDS.iter().any(|k| t.is_kw(k));
        if starts && !current.toks.is_empty() {
            let leading = split_off_comment_lines(&mut current.toks);
            out.push(std::mem::replace(
                &mut current,
                Clause {
                    leading,
                    toks: Vec::new(),
                },
            ));
        }
        depth = next_depth(depth, t);
        current.toks.push(*t);
    }
    let tail = split_off_comment_lines(&mut current.toks);
    out.push(current);
    if !tail.is_empty() {
        out.push(Clause {
            leading: tail,
            toks: Vec::new(),
        });
    }
    out
}

fn next_depth(depth: usize, t: &Tok) -> usize {
    match t.kind {
        TokenKind::LParen | TokenKind::LBracket => depth + 1,
        TokenKind::RParen | TokenKind::RBracket => depth.saturating_sub(1),
        _ => depth,
    }
}

/// Removes the comment lines (not a trailing comment) at the end of `toks`.
fn split_off_comment_lines<'s>(toks: &mut Vec<Tok<'s>>) -> Vec<Tok<'s>> {
    let keep = toks
        .iter()
        .rposition(|t| !t.is_comment() || t.is_trailing_comment())
        .map_or(0, |i| i + 1);
    toks.split_off(keep)
}

fn write_clause(w: &mut Writer, clause: &Clause, indent: usize) {
    for c in &clause.leading {
        w.comment_line(indent, c);
    }
    if clause.toks.is_empty() {
        return;
    }
    w.cont = CONT;
    w.start(indent);
    if clause.is_plain() && indent + flat_width(&clause.toks) <= MAX_WIDTH {
        clause.toks.iter().for_each(|t| w.emit(t));
        return;
    }
    let cuts = segment_starts(&clause.toks);
    let bounds = cuts
        .iter()
        .copied()
        .chain(std::iter::once(clause.toks.len()));
    let mut from = 0;
    for to in bounds {
        if from > 0 {
            w.cont = CONT;
            w.break_line();
        }
        write_segment(w, &clause.toks[from..to]);
        from = to;
    }
}

/// Where a clause that does not fit on one line is broken: before `for D`,
/// `followed by` and each `and not` of a trigger; before each top-level
/// `and`/`or` of a guard; before the `with (…)` of a step.
fn segment_starts(toks: &[Tok]) -> Vec<usize> {
    let code: Vec<usize> = (0..toks.len()).filter(|&i| !toks[i].is_comment()).collect();
    let keyword = toks.first().map_or("", |t| t.text);
    let mut depth = 0usize;
    let mut cuts = Vec::new();
    for (k, &i) in code.iter().enumerate() {
        let t = &toks[i];
        let prev = k.checked_sub(1).map(|p| &toks[code[p]]);
        let next = code.get(k + 1).map(|&n| &toks[n]);
        if depth == 0 && k > 0 && breaks_before(keyword, t, prev, next) {
            cuts.push(i);
        }
        depth = next_depth(depth, t);
    }
    cuts
}

fn breaks_before(clause: &str, t: &Tok, prev: Option<&Tok>, next: Option<&Tok>) -> bool {
    match clause {
        "when" => {
            t.is_kw("followed")
                || (t.is_kw("for") && !prev.is_some_and(|p| p.is_kw("inactive")))
                || (t.is_kw("and") && next.is_some_and(|n| n.is_kw("not")))
        }
        "if" | "unless" => t.is_kw("and") || t.is_kw("or"),
        "then" | "fallback" => t.is_kw("with") && !prev.is_some_and(|p| p.is_kw("starts")),
        _ => false,
    }
}

fn write_segment(w: &mut Writer, seg: &[Tok]) {
    let plain = seg.iter().all(|t| !t.is_comment());
    let too_wide = w.cont + flat_width(seg) > MAX_WIDTH;
    match param_list(seg) {
        Some(close) if too_wide || !plain => write_params(w, seg, close),
        _ => seg.iter().for_each(|t| w.emit(t)),
    }
}

/// For `with ( … )`, the index of the closing parenthesis when it is the
/// segment's last token (a comment may follow it).
fn param_list(seg: &[Tok]) -> Option<usize> {
    let code: Vec<usize> = (0..seg.len()).filter(|&i| !seg[i].is_comment()).collect();
    let (&first, &second, &last) = (code.first()?, code.get(1)?, code.last()?);
    let shaped = seg[first].is_kw("with") && seg[second].kind == TokenKind::LParen;
    let mut depth = 0usize;
    let closes_at_end = code.iter().all(|&i| {
        depth = next_depth(depth, &seg[i]);
        depth > 0 || i == last || i == first
    });
    (shaped && closes_at_end && last > second).then_some(last)
}

/// One parameter per line, indented under `with (`; `)` on its own line.
fn write_params(w: &mut Writer, seg: &[Tok], close: usize) {
    let outer = w.cont;
    let mut depth = 0usize;
    for (i, t) in seg.iter().enumerate() {
        if i == close {
            w.cont = outer;
            w.break_line();
        }
        w.emit(t);
        depth = next_depth(depth, t);
        let opens = t.kind == TokenKind::LParen && depth == 1;
        let separates = t.kind == TokenKind::Comma && depth == 1;
        if opens || separates {
            w.cont = outer + 2;
            w.break_line();
        }
    }
}

/// Width of the tokens on one line with canonical spacing, comments excluded.
fn flat_width<'a, 's: 'a>(toks: impl IntoIterator<Item = &'a Tok<'s>>) -> usize {
    let mut width = 0;
    let mut prev: Option<&Tok> = None;
    for t in toks.into_iter().filter(|t| !t.is_comment()) {
        width += t.width() + usize::from(prev.is_some_and(|p| spaced(p, t)));
        prev = Some(t);
    }
    width
}

fn spaced(prev: &Tok, t: &Tok) -> bool {
    !(prev.tight_after || t.tight_before)
}

/// Accumulates output lines. A break is lazy: it takes effect at the next
/// code token, so that a comment after the last token stays on its line.
#[derive(Default)]
struct Writer {
    lines: Vec<String>,
    line: Option<String>,
    last: Option<LastTok>,
    /// Indentation of the line a pending or forced break starts.
    cont: usize,
    break_pending: bool,
}

#[derive(Clone, Copy)]
struct LastTok {
    tight_after: bool,
}

impl Writer {
    fn flush(&mut self) {
        if let Some(line) = self.line.take() {
            self.lines.push(line.trim_end().to_string());
        }
        self.last = None;
        self.break_pending = false;
    }

    fn start(&mut self, indent: usize) {
        self.flush();
        self.line = Some(" ".repeat(indent));
    }

    fn break_line(&mut self) {
        self.break_pending = true;
    }

    fn blank(&mut self) {
        self.flush();
        self.lines.push(String::new());
    }

    fn comment_line(&mut self, indent: usize, c: &Tok) {
        self.flush();
        self.lines.push(format!("{}{}", " ".repeat(indent), c.text));
    }

    fn emit(&mut self, t: &Tok) {
        if !t.is_comment() {
            self.code(t);
        } else if t.is_trailing_comment() && self.line.is_some() {
            self.push_text(" ", t.text);
            self.flush();
        } else {
            self.comment_line(self.cont, t);
        }
    }

    fn code(&mut self, t: &Tok) {
        if self.line.is_none() || self.break_pending {
            self.start(self.cont);
        }
        let space = self
            .last
            .is_some_and(|p| !(p.tight_after || t.tight_before));
        self.push_text(if space { " " } else { "" }, t.text);
        self.last = Some(LastTok {
            tight_after: t.tight_after,
        });
    }

    fn push_text(&mut self, sep: &str, text: &str) {
        let line = self.line.get_or_insert_with(String::new);
        if !line.trim().is_empty() {
            line.push_str(sep);
        }
        line.push_str(text);
    }

    fn finish(mut self) -> Vec<String> {
        self.flush();
        self.lines
    }
}
