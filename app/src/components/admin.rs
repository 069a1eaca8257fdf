//! The organiser's components: the room's figures, the charts, the toolbar and its
//! actions, the attendee table, top-ups and the configuration panel. Only the room, a
//! lazy island, and the server-rendered admin pages use them, so attendees never
//! download them.

pub mod actions;
pub mod charts;
pub mod claims_table;
pub mod configuration;
pub mod figures;
pub mod page_query;
pub mod room;
pub mod toolbar;
pub mod top_up;

/// "1 claim", "3 claims": a number with its noun.
pub fn counted(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(counted(1, "claim", "claims"), "1 claim");
        assert_eq!(counted(0, "claim", "claims"), "0 claims");
        assert_eq!(counted(2, "key", "keys"), "2 keys");
    }
}
