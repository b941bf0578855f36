//! Quick add: up to ten section codes in one submit, each written the way the site shows it
//! (`CSE2010-01`) or the ways students type it (`CSE2010 01`, `cse2010-1`, full-width letters).
//! Parsing is pure; the page resolves every code first and enrolls only when all are known, so a
//! typo changes nothing and keeps what was typed.

use std::fmt;

use crate::domain::CourseCode;

/// At most this many codes in one submit.
pub const MAX_CODES: usize = 10;

/// A section as students name it: course code and section number (`CSE2010-01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCode {
    course: CourseCode,
    section_no: i16,
}

impl SectionCode {
    /// A number already checked by its caller (the forms' course code and number fields).
    pub(crate) fn new(course: CourseCode, section_no: i16) -> SectionCode {
        SectionCode { course, section_no }
    }

    pub fn course(&self) -> &str {
        self.course.as_str()
    }

    pub fn section_no(&self) -> i16 {
        self.section_no
    }

    /// One entry: `CSE2010-01`, `CSE2010 01`, `cse2010-1`, `ＣＳＥ２０１０－０１`.
    pub fn parse(raw: &str) -> Option<SectionCode> {
        let s = normalise(raw);
        let s = s.trim();
        let (course, no) = s
            .split_once('-')
            .or_else(|| s.split_once(' '))
            .map(|(c, n)| (c.trim(), n.trim()))?;
        // In free text a code also starts with a letter and ends with a digit, at least four
        // characters, so `CSE-01` and `2010-01` are typos rather than codes.
        let course = CourseCode::parse(course).ok().filter(|c| {
            let c = c.as_str();
            c.len() >= 4
                && c.starts_with(|c: char| c.is_ascii_alphabetic())
                && c.ends_with(|c: char| c.is_ascii_digit())
        })?;
        if no.is_empty() || no.len() > 3 || !no.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let section_no: i16 = no.parse().ok().filter(|n| (1..=999).contains(n))?;
        Some(SectionCode { course, section_no })
    }
}

impl fmt::Display for SectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.course, self.section_no)
    }
}

/// Full-width ASCII to ASCII, ideographic space and dashes to their plain forms, upper case.
fn normalise(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\t' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '_' => '-',
            _ => c,
        })
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Why an entry was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryError {
    /// Not of the shape `CSE2010-01`.
    Malformed(String),
    /// More than [`MAX_CODES`] entries.
    TooMany(usize),
}

/// Splits what was typed into entries: one per line, or separated by commas; within a line, a
/// code followed by a bare section number (`CSE2010 01`) is one entry, and several codes with
/// their numbers attached (`CSE2010-01 MAT1010-02`) are several.
pub fn entries(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in normalise(raw).split(['\n', '\r', ',', ';', '\u{3001}']) {
        let mut here: Vec<String> = Vec::new();
        for token in line.split(' ').filter(|t| !t.is_empty()) {
            let number = |t: &str| t.chars().all(|c| c.is_ascii_digit());
            match here.last_mut() {
                Some(prev) if number(token) && !number(prev) && !prev.contains(['-', ' ']) => {
                    prev.push(' ');
                    prev.push_str(token);
                }
                _ => here.push(token.to_string()),
            }
        }
        out.extend(here);
    }
    out
}

/// Parses every entry; the first errors name what was typed.
pub fn parse_all(raw: &str) -> Result<Vec<SectionCode>, Vec<EntryError>> {
    let entries = entries(raw);
    if entries.len() > MAX_CODES {
        return Err(vec![EntryError::TooMany(entries.len())]);
    }
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    for e in entries {
        match SectionCode::parse(&e) {
            Some(c) if !codes.contains(&c) => codes.push(c),
            Some(_) => {}
            None => errors.push(EntryError::Malformed(e)),
        }
    }
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> String {
        SectionCode::parse(s)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn the_displayed_format_parses_to_itself() {
        assert_eq!(code("CSE2010-01"), "CSE2010-01");
    }

    #[test]
    fn a_space_lower_case_and_an_unpadded_number_mean_the_same_section() {
        assert_eq!(code("CSE2010 01"), "CSE2010-01");
        assert_eq!(code("cse2010-1"), "CSE2010-01");
        assert_eq!(code("  cse2010 - 1 "), "CSE2010-01");
        assert_eq!(code("CSE2010-012"), "CSE2010-12");
    }

    #[test]
    fn full_width_characters_are_read_as_their_ascii_forms() {
        assert_eq!(code("ＣＳＥ２０１０－０１"), "CSE2010-01");
        assert_eq!(code("ｃｓｅ２０１０\u{3000}１"), "CSE2010-01");
    }

    #[test]
    fn entries_without_a_section_number_or_of_another_shape_are_refused() {
        for bad in [
            "CSE2010",
            "CSE201001",
            "2010-01",
            "CSE2010-0",
            "CSE2010-1000",
            "CSE-01",
            "CS E2010-01",
            "수강2010-01",
            "",
        ] {
            assert_eq!(SectionCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn several_codes_split_on_lines_commas_and_spaces() {
        let got: Vec<String> = parse_all("CSE2010-01\ncse2020 2, MAT1010-03 ECO1001-1")
            .expect("parses")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            ["CSE2010-01", "CSE2020-02", "MAT1010-03", "ECO1001-01"]
        );
    }

    #[test]
    fn a_bare_number_on_the_next_line_does_not_join_the_code_above() {
        assert_eq!(
            parse_all("CSE2010\n01"),
            Err(vec![
                EntryError::Malformed("CSE2010".into()),
                EntryError::Malformed("01".into())
            ])
        );
    }

    #[test]
    fn the_same_section_twice_is_taken_once() {
        assert_eq!(parse_all("CSE2010-01, cse2010 1").expect("parses").len(), 1);
    }

    #[test]
    fn more_than_ten_entries_are_refused_whole() {
        let raw: Vec<String> = (1..=11).map(|n| format!("CSE2010-{n}")).collect();
        assert_eq!(
            parse_all(&raw.join("\n")),
            Err(vec![EntryError::TooMany(11)])
        );
        let ten: Vec<String> = (1..=10).map(|n| format!("CSE2010-{n}")).collect();
        assert_eq!(parse_all(&ten.join("\n")).expect("parses").len(), 10);
    }

    #[test]
    fn a_malformed_entry_is_named_as_typed_after_normalising() {
        assert_eq!(
            parse_all("CSE2010-01, XYZ"),
            Err(vec![EntryError::Malformed("XYZ".into())])
        );
    }
}
