//! Go to definition: an alias used in a rule leads to its `as NAME`.

use super::roles::{aliases, classify, piece_at, rule_ranges, Role};
use crate::syntax::lexer;
use crate::syntax::Span;

/// Where the alias under `offset` is defined, if the cursor is on one.
pub fn definition(src: &str, offset: usize) -> Option<Span> {
    let piece = piece_at(&classify(src), offset)?;
    if !matches!(piece.role, Role::AliasRef | Role::AliasDef) {
        return None;
    }
    let name = &src[piece.span.start..piece.span.end];
    let tokens = lexer::tokenize(src);
    let rule = rule_ranges(src, &tokens).into_iter().find(|r| {
        let (Some(first), Some(last)) = (tokens.get(r.start), tokens.get(r.end.wrapping_sub(1)))
        else {
            return false;
        };
        first.span.start <= offset && offset <= last.span.end
    })?;
    aliases(src, &tokens[rule])
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, span)| span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, needle: &str, nth: usize) -> usize {
        src.match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i)
            .expect("needle")
    }

    #[test]
    fn alias_uses_lead_to_their_rule_s_definition() {
        let src = "rule a:\n when x.y as c then send sms \"{c.url}\" key c.id\n\nrule b:\n when z as c then send sms \"hi\" key c.id\n";
        let def_a = at(src, "c then", 0);
        let use_in_text = at(src, "c.url", 0) + 1;
        assert_eq!(
            definition(src, use_in_text),
            Some(Span::new(def_a, def_a + 1))
        );
        let use_in_key = at(src, "c.id", 0);
        assert_eq!(
            definition(src, use_in_key),
            Some(Span::new(def_a, def_a + 1))
        );
        let def_b = at(src, "c then", 1);
        let use_b = at(src, "c.id", 1);
        assert_eq!(definition(src, use_b), Some(Span::new(def_b, def_b + 1)));
    }

    #[test]
    fn members_and_unknown_names_have_none() {
        let src = "when x as c then send sms \"hi\" key c.id";
        assert_eq!(definition(src, at(src, "id", 0)), None);
        assert_eq!(definition(src, at(src, "sms", 0)), None);
    }
}
