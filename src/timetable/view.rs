//! The week as a template draws it, shared by the timetable page and the basket page's preview:
//! the grid's rows and cells, the day heads, each block's words, and the conflicts as sentences.

use crate::catalog::snapshot::weekday_key;
use crate::domain::MinuteOfDay;
use crate::timetable::grid::{self, Cell, Grid, TimetableSection};
use crate::web::Lang;

pub struct BlockView {
    pub section_id: i32,
    pub label: String,
    pub title: String,
    pub room: String,
    pub time: String,
    pub conflict: bool,
    pub preview: bool,
    /// One of eight colours, the same for every meeting of a section (`c0`..`c7` in the CSS).
    pub colour: usize,
}

pub struct CellView {
    pub block: Option<BlockView>,
    pub rows: usize,
    pub cols: u8,
}

pub struct RowView {
    pub hour: Option<(String, usize)>,
    pub cells: Vec<CellView>,
}

pub struct DayHead {
    pub name: &'static str,
    pub lanes: u8,
}

pub fn block_view(lang: Lang, b: &grid::Block, preview: &[i32]) -> BlockView {
    BlockView {
        section_id: b.section_id,
        label: b.label.clone(),
        title: match lang {
            Lang::Ko => b.title_ko.clone(),
            Lang::En => b.title_en.clone(),
        },
        room: b.room.clone(),
        time: format!(
            "{}–{}",
            MinuteOfDay::stored(b.start),
            MinuteOfDay::stored(b.end)
        ),
        conflict: b.conflict,
        preview: preview.contains(&b.section_id),
        colour: 0,
    }
}

/// Colour index of each section on the grid: sections in id order take the eight colours in
/// turn, so neighbours on a week rarely share one and a reload keeps them.
fn colours(grid: &Grid) -> Vec<i32> {
    let mut ids: Vec<i32> = grid
        .days
        .iter()
        .flat_map(|d| d.blocks.iter().map(|b| b.section_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The grid as table rows for a template; `preview` marks sections shown but not enrolled.
pub fn rows(lang: Lang, grid: &Grid, preview: &[i32]) -> Vec<RowView> {
    let ids = colours(grid);
    grid.table()
        .into_iter()
        .map(|r| RowView {
            hour: r
                .hour_rows
                .map(|n| (MinuteOfDay::stored(r.minute).to_string(), n)),
            cells: r
                .cells
                .into_iter()
                .map(|c| match c {
                    Cell::Block { block, rows, cols } => CellView {
                        block: Some(BlockView {
                            colour: ids.binary_search(&block.section_id).unwrap_or(0) % 8,
                            ..block_view(lang, block, preview)
                        }),
                        rows,
                        cols,
                    },
                    Cell::Empty => CellView {
                        block: None,
                        rows: 1,
                        cols: 1,
                    },
                })
                .collect(),
        })
        .collect()
}

/// One head per day column, with the lanes its overlapping blocks need.
pub fn heads(lang: Lang, grid: &Grid) -> Vec<DayHead> {
    grid.days
        .iter()
        .map(|d| DayHead {
            name: lang.text(weekday_key(d.weekday)),
            lanes: d.lanes,
        })
        .collect()
}

/// Each conflict of the grid as a sentence naming both sections and when they overlap.
pub fn conflicts(lang: Lang, grid: &Grid, sections: &[TimetableSection]) -> Vec<String> {
    let label_of = |id: i32| {
        sections
            .iter()
            .find(|s| s.section_id == id)
            .map(TimetableSection::label)
            .unwrap_or_default()
    };
    grid.conflicts
        .iter()
        .map(|c| {
            lang.format(
                "timetable.conflict",
                &[
                    ("a", label_of(c.section_a)),
                    ("b", label_of(c.section_b)),
                    (
                        "when",
                        format!(
                            "{} {}–{}",
                            lang.text(weekday_key(c.weekday)),
                            MinuteOfDay::stored(c.start),
                            MinuteOfDay::stored(c.end)
                        ),
                    ),
                ],
            )
        })
        .collect()
}
