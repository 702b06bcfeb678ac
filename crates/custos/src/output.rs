//! What the command line prints: aligned tables and key/value blocks for people, one JSON
//! document for scripts. The admin CLI and the samples' `apps` commands both print through it.
//!
//! Commands build a [`Report`] and never write to stdout themselves, so their output is tested
//! as plain strings. Text coming from the server is cleaned of control characters before it
//! reaches a terminal.
//!
//! The one table renderer lives here, in the binary, because laying text out for a terminal is
//! the binary's job: `custos-core` holds no presentation, and `custos-samples` may depend only on
//! core and the guard, so it returns its records and rows (`apps::cli::AppsOutput`) and
//! [`crate::sample`] renders them with the same [`Table`] as every admin command.

use serde_json::Value;
use std::io::Write;

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned tables for people.
    #[default]
    Table,
    /// Exactly one JSON document on stdout.
    Json,
}

/// The result of one command in both forms, plus an optional notice for stderr.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    pub(crate) json: Value,
    pub(crate) text: String,
    /// Printed on stderr in both formats (e.g. "this secret is shown only once").
    pub(crate) notice: Option<String>,
}

impl Report {
    pub(crate) fn new(json: Value, text: String) -> Self {
        Self { json, text, notice: None }
    }

    pub(crate) fn with_notice(mut self, notice: impl Into<String>) -> Self {
        self.notice = Some(notice.into());
        self
    }

    /// Writes the report in `format`.
    pub(crate) fn print(&self, format: OutputFormat) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        match format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut stdout, &self.json)?;
                writeln!(stdout)?;
            }
            OutputFormat::Table => {
                write!(stdout, "{}", self.text)?;
                if !self.text.is_empty() && !self.text.ends_with('\n') {
                    writeln!(stdout)?;
                }
            }
        }
        stdout.flush()?;
        if let Some(notice) = &self.notice {
            eprintln!("{notice}");
        }
        Ok(())
    }
}

/// A table with a header row; columns are padded to their widest cell.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(headers: &[&'static str]) -> Self {
        Self { headers: headers.to_vec(), rows: Vec::new() }
    }

    /// Adds a row; missing cells print empty, extra cells are dropped.
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut row: Vec<String> = cells.into_iter().map(|c| clean(c.as_ref())).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text; `empty` is printed instead when there are no rows.
    pub(crate) fn render_or(&self, empty: &str) -> String {
        if self.rows.is_empty() {
            return format!("{empty}\n");
        }
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            push_line(&mut out, row, &widths);
        }
        out
    }
}

fn push_line(out: &mut String, cells: &[String], widths: &[usize]) {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// A block of `label  value` lines with the values aligned.
pub(crate) fn details(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in pairs {
        let line = format!("{label:<width$}  {}", clean(value));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Replaces control characters (newlines, escape sequences) so server-provided text cannot
/// break the layout or drive the terminal.
pub(crate) fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// A JSON field as display text: strings as they are, `null`/absent as empty, others as JSON.
pub(crate) fn field(value: &Value, key: &str) -> String {
    text_of(value.get(key).unwrap_or(&Value::Null))
}

/// A JSON value as display text (see [`field`]); arrays of strings are joined with ", ".
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let mut table = Table::new(&["APP ID", "NAME", "URIS"]);
        table.row(["a1", "Payroll API", "api://payroll"]);
        table.row(["b22222", "x", ""]);
        assert_eq!(
            table.render_or("none"),
            "APP ID  NAME         URIS\n\
             a1      Payroll API  api://payroll\n\
             b22222  x\n"
        );
    }

    #[test]
    fn tables_count_characters_not_bytes() {
        let mut table = Table::new(&["NAME", "ID"]);
        table.row(["Zürich", "1"]);
        table.row(["Oslo", "2"]);
        assert_eq!(table.render_or(""), "NAME    ID\nZürich  1\nOslo    2\n");
    }

    #[test]
    fn empty_tables_print_the_empty_message() {
        let table = Table::new(&["A"]);
        assert_eq!(table.render_or("no applications"), "no applications\n");
    }

    #[test]
    fn short_rows_are_padded_and_long_rows_cut() {
        let mut table = Table::new(&["A", "B"]);
        table.row(["1"]);
        table.row(["2", "3", "dropped"]);
        assert_eq!(table.render_or(""), "A  B\n1\n2  3\n");
    }

    #[test]
    fn control_characters_from_the_server_are_neutralised() {
        let mut table = Table::new(&["NAME"]);
        table.row(["evil\u{1b}[2J\nname"]);
        assert_eq!(table.render_or(""), "NAME\nevil?[2J?name\n");
        assert_eq!(details(&[("name", "a\tb".to_owned())]), "name  a?b\n");
    }

    #[test]
    fn details_align_values() {
        let text = details(&[
            ("app id", "1".to_owned()),
            ("display name", "Payroll".to_owned()),
            ("empty", String::new()),
        ]);
        assert_eq!(text, "app id        1\ndisplay name  Payroll\nempty\n");
    }

    #[test]
    fn fields_render_as_text() {
        let v = json!({"s": "x", "n": 2, "b": true, "null": null, "list": ["a", "b"], "objs": [{"k": 1}]});
        assert_eq!(field(&v, "s"), "x");
        assert_eq!(field(&v, "n"), "2");
        assert_eq!(field(&v, "b"), "true");
        assert_eq!(field(&v, "null"), "");
        assert_eq!(field(&v, "absent"), "");
        assert_eq!(field(&v, "list"), "a, b");
        assert_eq!(field(&v, "objs"), r#"[{"k":1}]"#);
    }
}
