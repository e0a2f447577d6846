//! Entity tags (RFC 9110 §8.8.3): syntax and the strong and weak
//! comparison functions (§8.8.3.2).

/// An entity tag (RFC 9110 §8.8.3): `entity-tag = [ weak ] opaque-tag`,
/// `weak = %s"W/"`, `opaque-tag = DQUOTE *etagc DQUOTE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntityTag<'a> {
    pub(crate) weak: bool,
    opaque: &'a str,
}

impl<'a> EntityTag<'a> {
    pub(crate) fn parse(s: &'a str) -> Option<EntityTag<'a>> {
        match EntityTag::parse_prefix(s.trim_matches([' ', '\t']))? {
            (tag, "") => Some(tag),
            _ => None,
        }
    }

    /// One tag at the start of `s`, and the rest.
    fn parse_prefix(s: &'a str) -> Option<(EntityTag<'a>, &'a str)> {
        let (weak, rest) = match s.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let body = rest.strip_prefix('"')?;
        let end = body.find('"')?;
        let opaque = body.get(..end)?;
        // etagc = %x21 / %x23-7E / obs-text
        if opaque
            .chars()
            .any(|c| c.is_ascii() && !matches!(c, '\x21' | '\x23'..='\x7E'))
        {
            return None;
        }
        Some((EntityTag { weak, opaque }, body.get(end + 1..)?))
    }

    /// `#entity-tag`; stops at the first member that does not parse.
    pub(crate) fn parse_list(s: &'a str) -> Vec<EntityTag<'a>> {
        let mut tags = Vec::new();
        let mut rest = s;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return tags;
            }
            match EntityTag::parse_prefix(rest) {
                Some((tag, after)) => {
                    tags.push(tag);
                    rest = after;
                }
                None => return tags,
            }
        }
    }

    /// RFC 9110 §8.8.3.2: "Strong comparison: two entity tags are equivalent
    /// if both are not weak and their opaque-tags match character-by-character."
    pub(crate) fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// "Weak comparison: two entity tags are equivalent if their opaque-tags
    /// match character-by-character, regardless of either or both being
    /// tagged as "weak"."
    pub(crate) fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §8.8.3.2, Table 3.
    #[test]
    fn rfc9110_8_8_3_2_entity_tag_comparison_table() {
        let cases = [
            (r#"W/"1""#, r#"W/"1""#, false, true),
            (r#"W/"1""#, r#"W/"2""#, false, false),
            (r#"W/"1""#, r#""1""#, false, true),
            (r#""1""#, r#""1""#, true, true),
        ];
        for (a, b, strong, weak) in cases {
            let (a, b) = (EntityTag::parse(a).unwrap(), EntityTag::parse(b).unwrap());
            assert_eq!(
                (a.strong_eq(&b), a.weak_eq(&b)),
                (strong, weak),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn entity_tag_syntax() {
        assert!(EntityTag::parse("xyzzy").is_none());
        assert!(EntityTag::parse("\"a b\"").is_none());
        assert!(EntityTag::parse("w/\"a\"").is_none());
        assert_eq!(EntityTag::parse_list(r#""a", W/"b",, "c"#).len(), 2);
        assert_eq!(EntityTag::parse_list(r#""a,b", "c""#).len(), 2);
    }
}
