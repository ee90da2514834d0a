//! Reading an import file: line ends, the header, and each record into a valid row or the
//! reasons it is not one.

use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::commands::{StockItemInput, WeightInput};
use crate::error::{Error, Result};
use crate::store::ImportRow;

/// Rows sent to the store per multi-row `INSERT` (10 parameters each: well under the
/// parameter limits of SQLite and PostgreSQL).
pub const IMPORT_BATCH_ROWS: usize = 500;

/// The columns of an import file; the last four are optional (`currency` defaults to `RWF`;
/// `empties`, `deposit` and `low_stock_threshold` left out or empty keep what the item has).
pub const IMPORT_COLUMNS: [&str; 9] =
    ["brand", "weight", "location", "quantity", "unit_price", "currency", "empties", "deposit", "low_stock_threshold"];

const REQUIRED_COLUMNS: usize = 5;

/// A row of the file that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    /// The column at fault, or `None` for the whole row (wrong field count, duplicate key).
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {}: {}", self.line, column, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// A reader that turns CRLF line ends into LF and ends its input with a newline if it does
/// not already, so that every CSV record ends with one `\n` and its line number can be
/// counted back from where it ends.
#[derive(Debug)]
pub(crate) struct TerminatedLines<R> {
    inner: std::io::BufReader<R>,
    last: Option<u8>,
    pending_cr: bool,
    finished: bool,
}

impl<R: Read> TerminatedLines<R> {
    fn new(inner: R) -> Self {
        TerminatedLines { inner: std::io::BufReader::new(inner), last: None, pending_cr: false, finished: false }
    }
}

impl<R: Read> Read for TerminatedLines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        let mut n = 0;
        while n < out.len() {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                if self.pending_cr {
                    self.pending_cr = false;
                    out[n] = b'\r';
                    self.last = Some(b'\r');
                    n += 1;
                    continue;
                }
                if !self.finished {
                    self.finished = true;
                    if !matches!(self.last, None | Some(b'\n')) {
                        out[n] = b'\n';
                        self.last = Some(b'\n');
                        n += 1;
                    }
                }
                break;
            }
            let mut used = 0;
            for &byte in chunk {
                if n == out.len() {
                    break;
                }
                used += 1;
                if self.pending_cr {
                    self.pending_cr = false;
                    if byte != b'\n' {
                        out[n] = b'\r';
                        n += 1;
                        if n == out.len() {
                            used -= 1;
                            break;
                        }
                    }
                }
                if byte == b'\r' {
                    self.pending_cr = true;
                    continue;
                }
                out[n] = byte;
                self.last = Some(byte);
                n += 1;
            }
            self.inner.consume(used);
            if n > 0 {
                break;
            }
        }
        Ok(n)
    }
}

/// Where each column of the file is.
#[derive(Debug, Clone, Copy)]
struct ColumnMap {
    /// Index in the record of each of [`IMPORT_COLUMNS`]; the optional ones may be absent.
    index: [Option<usize>; 9],
    fields: usize,
}

fn expected_header() -> String {
    let optional: Vec<String> = IMPORT_COLUMNS[REQUIRED_COLUMNS..].iter().map(|c| format!("[{c}]")).collect();
    format!("{},{}", IMPORT_COLUMNS[..REQUIRED_COLUMNS].join(","), optional.join(","))
}

/// Reads and checks the header line.
fn read_header<R: Read>(reader: &mut csv::Reader<R>) -> Result<ColumnMap> {
    let mut record = csv::ByteRecord::new();
    let found = reader.read_byte_record(&mut record).map_err(|err| csv_error(&err))?;
    if !found {
        return Err(Error::invalid(
            "file",
            format!("the file is empty: the first line must be the header {}", expected_header()),
        ));
    }
    let mut index = [None; 9];
    let mut problems = Vec::new();
    for (position, raw) in record.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(Error::invalid("file", "line 1 (header) is not valid UTF-8: save the file as UTF-8"));
        };
        let name = name.trim().to_ascii_lowercase();
        match IMPORT_COLUMNS.iter().position(|column| *column == name) {
            Some(column) if index[column].is_some() => problems.push(format!("column '{name}' appears twice")),
            Some(column) => index[column] = Some(position),
            None if name.is_empty() => problems.push(format!("column {} has no name", position + 1)),
            None => problems.push(format!("unknown column '{name}'")),
        }
    }
    let missing: Vec<&str> =
        (0..REQUIRED_COLUMNS).filter(|column| index[*column].is_none()).map(|column| IMPORT_COLUMNS[column]).collect();
    if !missing.is_empty() {
        problems.insert(0, format!("missing column(s) {}", missing.join(", ")));
    }
    if !problems.is_empty() {
        return Err(Error::invalid(
            "header",
            format!("line 1: {}; expected the header {}", problems.join("; "), expected_header()),
        ));
    }
    Ok(ColumnMap { index, fields: record.len() })
}

fn csv_error(err: &csv::Error) -> Error {
    match err.kind() {
        csv::ErrorKind::Io(io) => Error::invalid("file", format!("cannot read the file: {io}")),
        _ => Error::invalid("file", format!("not a readable CSV file: {err}")),
    }
}

/// Turns one record into a valid row, or the reasons it is not one (every column that fails
/// on its own, then the first rule of [`StockItemInput::validate`] that fails).
fn parse_record(
    record: &csv::ByteRecord,
    line: u64,
    columns: &ColumnMap,
) -> std::result::Result<ImportRow, Vec<RowError>> {
    let error = |column: Option<&str>, reason: String| RowError { line, column: column.map(str::to_owned), reason };
    if record.len() != columns.fields {
        return Err(vec![error(
            None,
            format!("expected {} fields like the header, found {}", columns.fields, record.len()),
        )]);
    }
    let mut errors = Vec::new();
    let mut text = [""; 9];
    for (column, index) in columns.index.iter().enumerate() {
        let Some(index) = index else { continue };
        match std::str::from_utf8(&record[*index]) {
            Ok(value) => text[column] = value.trim(),
            Err(_) => {
                errors.push(error(Some(IMPORT_COLUMNS[column]), "is not valid UTF-8: save the file as UTF-8".into()))
            }
        }
    }
    let mut whole_number = |column: usize, what: &str| -> i64 {
        let value = text[column];
        match value.parse::<i64>() {
            Ok(n) => n,
            Err(_) if errors.iter().any(|e: &RowError| e.column.as_deref() == Some(IMPORT_COLUMNS[column])) => 0,
            Err(_) if value.is_empty() => {
                errors.push(error(Some(IMPORT_COLUMNS[column]), "must not be empty".into()));
                0
            }
            Err(_) => {
                errors.push(error(Some(IMPORT_COLUMNS[column]), format!("'{value}' is not {what}")));
                0
            }
        }
    };
    let quantity = whole_number(3, "a whole number of cylinders");
    let unit_price = whole_number(4, "a whole number of minor units (no decimals, no currency sign)");
    // An optional number: absent or empty is `None` (keep what the item has).
    let mut optional = |column: usize, what: &str| -> Option<i64> {
        (columns.index[column].is_some() && !text[column].is_empty()).then(|| whole_number(column, what))
    };
    let empties = optional(6, "a whole number of cylinders");
    let deposit = optional(7, "a whole number of minor units (no decimals, no currency sign)");
    let low_stock_threshold = optional(8, "a whole number of cylinders");
    let input = StockItemInput {
        brand: text[0].to_owned(),
        weight: WeightInput::Text(text[1].to_owned()),
        location: text[2].to_owned(),
        quantity,
        unit_price,
        currency: columns.index[5].map(|_| text[5].to_owned()),
        empties,
        deposit,
        low_stock_threshold,
    };
    // Numbers that did not parse stand in as 0, so the validation still reports the first
    // problem among the other columns.
    match input.validate() {
        Ok(item) if errors.is_empty() => Ok(ImportRow { line, item }),
        Ok(_) => Err(errors),
        Err(Error::Invalid { field, message }) => {
            if !errors.iter().any(|e| e.column.as_deref() == Some(&*field)) {
                errors.push(error(Some(&field), message));
                errors.sort_by_key(|e| e.column.as_deref().and_then(|c| IMPORT_COLUMNS.iter().position(|k| *k == c)));
            }
            Err(errors)
        }
        Err(other) => {
            errors.push(error(None, other.to_string()));
            Err(errors)
        }
    }
}

/// A validated CSV stream: yields batches of valid rows and hands every bad row to
/// `on_error`, counting them.
pub(crate) struct RowBatches<'a, R: Read, F: FnMut(RowError)> {
    reader: csv::Reader<TerminatedLines<R>>,
    columns: ColumnMap,
    record: csv::ByteRecord,
    on_error: &'a mut F,
    bad_rows: Arc<AtomicU64>,
    /// Set when the file itself could not be read further (I/O error, broken quoting).
    pub(crate) fatal: Option<Error>,
    done: bool,
}

impl<'a, R: Read, F: FnMut(RowError)> RowBatches<'a, R, F> {
    /// Reads the header; fails for an empty file or a wrong header.
    pub(crate) fn open(input: R, on_error: &'a mut F) -> Result<Self> {
        let input = TerminatedLines::new(input);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        let columns = read_header(&mut reader)?;
        Ok(RowBatches {
            reader,
            columns,
            record: csv::ByteRecord::new(),
            on_error,
            bad_rows: Arc::new(AtomicU64::new(0)),
            fatal: None,
            done: false,
        })
    }

    /// Shared count of bad rows, final once the iterator is exhausted.
    pub(crate) fn bad_rows(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bad_rows)
    }
}

impl<R: Read, F: FnMut(RowError)> Iterator for RowBatches<'_, R, F> {
    type Item = Vec<ImportRow>;

    fn next(&mut self) -> Option<Vec<ImportRow>> {
        if self.done {
            return None;
        }
        let mut batch = Vec::with_capacity(IMPORT_BATCH_ROWS);
        while batch.len() < IMPORT_BATCH_ROWS {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(err) => {
                    let line = err.position().map(|p| p.line()).unwrap_or(0);
                    self.fatal = Some(match err.kind() {
                        csv::ErrorKind::Io(io) => Error::invalid("file", format!("cannot read the file: {io}")),
                        _ => Error::invalid("file", format!("line {line}: not valid CSV: {err}")),
                    });
                    self.bad_rows.fetch_add(1, Ordering::Relaxed);
                    self.done = true;
                    break;
                }
            }
            // csv positions a record where the previous one ended, before any blank lines it
            // skips; every record ends with a newline here, so count back from its end.
            let embedded: u64 = self.record.iter().map(|f| f.iter().filter(|b| **b == b'\n').count() as u64).sum();
            // (A quote left open at the end of the file swallows the last newline: then the
            // position csv gives, which is never after the true start, is the better bound.)
            let start = self.record.position().map(|p| p.line()).unwrap_or(1);
            let line = self.reader.position().line().saturating_sub(1 + embedded).max(start);
            match parse_record(&self.record, line, &self.columns) {
                Ok(row) => batch.push(row),
                Err(errors) => {
                    self.bad_rows.fetch_add(1, Ordering::Relaxed);
                    errors.into_iter().for_each(&mut *self.on_error);
                }
            }
        }
        if batch.is_empty() && self.done {
            None
        } else {
            Some(batch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &str) -> Result<(Vec<ImportRow>, Vec<RowError>)> {
        let mut errors = Vec::new();
        let mut sink = |e: RowError| errors.push(e);
        let batches = RowBatches::open(csv.as_bytes(), &mut sink)?;
        let rows: Vec<ImportRow> = batches.flatten().collect();
        Ok((rows, errors))
    }

    #[test]
    fn reads_valid_rows_with_their_lines() {
        let (rows, errors) =
            run("brand,weight,location,quantity,unit_price\nJibu,12kg,Kigali,5,15000\n\nKgas, 6 kg ,Huye,0,9000\n")
                .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].item.weight.grams()), (2, 12_000));
        assert_eq!((rows[1].line, rows[1].item.weight.grams(), rows[1].item.quantity.get()), (4, 6_000, 0));
        let (_, errors) =
            run("brand,weight,location,quantity,unit_price\r\n\"Multi\nline\",1,K,1,1\r\nJibu,x,K,1,1").unwrap();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);
        let mut plain = String::new();
        TerminatedLines::new(&b"a\r\nb\rc\r"[..]).read_to_string(&mut plain).unwrap();
        assert_eq!(plain, "a\nb\rc\r\n");
    }

    #[test]
    fn header_in_any_order_with_bom_and_currency() {
        let (rows, _) =
            run("\u{feff}Quantity,BRAND,weight,location,unit_price,currency\n3,Jibu,12,Kigali,100,usd\n").unwrap();
        assert_eq!(rows[0].item.currency.as_str(), "USD");
        assert_eq!(rows[0].item.brand.as_str(), "Jibu");
    }

    #[test]
    fn reports_every_bad_row_and_column() {
        let (rows, errors) = run("brand,weight,location,quantity,unit_price\n\
             Jibu,heavy,Kigali,5,100\n\
             Jibu,12,Kigali,-1,100\n\
             Jibu,12,Kigali,x,12.5\n\
             Jibu,heavy,Kigali,1,1.5\n\
             Jibu,12,Kigali\n\
             Jibu,12,Kigali,1,1\n")
        .unwrap();
        assert_eq!(rows.len(), 1);
        let seen: Vec<(u64, Option<&str>)> = errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(
            seen,
            [
                (2, Some("weight")),
                (3, Some("quantity")),
                (4, Some("quantity")),
                (4, Some("unit_price")),
                (5, Some("weight")),
                (5, Some("unit_price")),
                (6, None)
            ]
        );
    }

    #[test]
    fn refuses_empty_files_and_wrong_headers() {
        assert!(matches!(run(""), Err(Error::Invalid { field, .. }) if field == "file"));
        let err = run("brand,weight,place,quantity\n").unwrap_err();
        assert!(err.to_string().contains("missing column(s) location, unit_price"), "{err}");
        assert!(err.to_string().contains("unknown column 'place'"), "{err}");
        assert!(run("brand,brand,weight,location,quantity,unit_price\n").is_err());
    }

    #[test]
    fn non_utf8_is_a_row_error() {
        let mut errors = Vec::new();
        let mut sink = |e: RowError| errors.push(e);
        let data = b"brand,weight,location,quantity,unit_price\nJ\xffbu,12,Kigali,1,1\n";
        let rows: Vec<ImportRow> = RowBatches::open(&data[..], &mut sink).unwrap().flatten().collect();
        assert!(rows.is_empty());
        assert_eq!(errors[0].column.as_deref(), Some("brand"));
    }
}
