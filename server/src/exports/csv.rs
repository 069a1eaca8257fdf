//! CSV records (RFC 4180) for the exports, with the spreadsheet-formula guard: a text
//! field a spreadsheet would run as a formula gets a leading `'`. Names and emails are
//! attendee input; numbers are ours and stay numbers, so a negative `remaining_usd`
//! (an overspent key, the row an organiser most wants to sort on) sorts as one.

/// One field of a record.
pub enum Field {
    /// Anything that came from a person or from OpenRouter: guarded.
    Text(String),
    /// A number we formatted (`-3.000000`): never guarded.
    Number(String),
}

pub fn text(value: impl Into<String>) -> Field {
    Field::Text(value.into())
}

pub fn number(value: impl Into<String>) -> Field {
    Field::Number(value.into())
}

/// Characters that start a formula in Excel, LibreOffice or Google Sheets, including
/// their full-width forms (which some of them accept too).
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Whether a spreadsheet could read `text` as a formula: one of [`FORMULA_STARTS`] first,
/// or after leading spaces, tabs or line breaks (which spreadsheets skip); a leading tab
/// or carriage return is refused outright (a cell-splitting trick).
fn looks_like_a_formula(text: &str) -> bool {
    let rest = text.trim_start_matches([' ', '\t', '\r', '\n']);
    text.starts_with(['\t', '\r']) || rest.starts_with(FORMULA_STARTS)
}

/// One record, with its line ending.
pub fn line(fields: &[Field]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|field| {
            let value = match field {
                Field::Text(text) if looks_like_a_formula(text) => format!("'{text}"),
                Field::Text(text) | Field::Number(text) => text.clone(),
            };
            if value.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value
            }
        })
        .collect();
    format!("{}\n", cells.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let record = line(&[
            text("a,b"),
            text("say \"hi\""),
            text("=cmd()"),
            text("plain"),
        ]);
        assert_eq!(record, "\"a,b\",\"say \"\"hi\"\"\",'=cmd(),plain\n");
    }

    #[test]
    fn numbers_stay_numbers_even_when_negative() {
        assert_eq!(
            line(&[number("-3.000000"), number("2.000000")]),
            "-3.000000,2.000000\n"
        );
        assert_eq!(
            line(&[text("-3")]),
            "'-3\n",
            "a name that looks like one is text"
        );
    }

    #[test]
    fn formulas_behind_whitespace_and_in_full_width_are_defused() {
        for sneaky in [
            " =HYPERLINK(\"x\")",
            "\n=1+1",
            "\r\n@SUM(A1)",
            "  +1",
            "＝cmd()",
            "＋1",
            "－1",
            "＠x",
            "\tplain",
        ] {
            let record = line(&[text(sneaky)]);
            let cell = record.trim_end_matches('\n').trim_start_matches('"');
            assert!(cell.starts_with('\''), "{sneaky:?} → {record:?}");
        }
        assert_eq!(line(&[text("ada@example.com")]), "ada@example.com\n");
        assert_eq!(line(&[text("Jean-Luc")]), "Jean-Luc\n");
    }
}
