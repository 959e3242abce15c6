//! Writing CSV (RFC 4180) that is safe to open in a spreadsheet.
//!
//! Pure functions over a `String` buffer, so the export can build one chunk
//! per page of rows without a dependency.

/// Characters that make a spreadsheet read a cell as a formula (OWASP
/// "CSV injection"): `=`, `+`, `-`, `@`, and tab and carriage return, which
/// some spreadsheets skip before looking for the others.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Appends one cell: a cell that could start a formula gets a leading `'`
/// (shown as text, never evaluated); a cell with a quote, a comma or a line
/// break is quoted, its quotes doubled.
pub fn push_field(out: &mut String, value: &str) {
    let neutralise = value.starts_with(FORMULA_STARTS);
    let quote = value.contains(['"', ',', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if neutralise {
        out.push('\'');
    }
    if quote {
        for c in value.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends one record and its CRLF line ending.
pub fn push_record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field);
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(value: &str) -> String {
        let mut out = String::new();
        push_field(&mut out, value);
        out
    }

    #[test]
    fn plain_text_is_left_alone() {
        assert_eq!(field("Trousers in size 44"), "Trousers in size 44");
        assert_eq!(field(""), "");
        assert_eq!(field("2026-11-22T10:00:00Z"), "2026-11-22T10:00:00Z");
    }

    #[test]
    fn quotes_commas_and_line_breaks_are_quoted() {
        assert_eq!(field(r#"size "44""#), r#""size ""44""""#);
        assert_eq!(field("red, blue"), r#""red, blue""#);
        assert_eq!(field("one\ntwo"), "\"one\ntwo\"");
        assert_eq!(field("one\r\ntwo"), "\"one\r\ntwo\"");
    }

    #[test]
    fn formula_starts_are_neutralised() {
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("+33 6 12"), "'+33 6 12");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\t=1"), "'\t=1");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
        // Only at the start: a formula sign inside the text is harmless.
        assert_eq!(field("a=b"), "a=b");
    }

    #[test]
    fn a_neutralised_cell_is_also_quoted_when_it_needs_to_be() {
        assert_eq!(
            field(r#"=HYPERLINK("http://x","y")"#),
            r#""'=HYPERLINK(""http://x"",""y"")""#
        );
    }

    #[test]
    fn utf8_passes_through() {
        assert_eq!(field("Mme Lefèvre, Écharpe"), "\"Mme Lefèvre, Écharpe\"");
        assert_eq!(field("naïve ☕"), "naïve ☕");
    }

    #[test]
    fn records_end_with_crlf() {
        let mut out = String::new();
        push_record(&mut out, ["a", "b,c", ""]);
        push_record(&mut out, ["=x"]);
        assert_eq!(out, "a,\"b,c\",\r\n'=x\r\n");
    }
}
