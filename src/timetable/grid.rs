//! The weekly grid, pure: places every meeting of a set of sections on Mon–Sat, puts overlapping
//! meetings side by side in lanes and flags them, and finds the conflicts between sections.
//! Used by the timetable (enrolled sections) and, later, the basket preview.

use std::collections::HashSet;

use serde::Serialize;

use crate::domain::Meeting;

pub const DAYS: [u8; 6] = [1, 2, 3, 4, 5, 6];
/// The grid always shows at least this range, so timetables look alike.
const DEFAULT_START: u16 = 9 * 60;
const DEFAULT_END: u16 = 18 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Slot {
    pub meeting_id: i32,
    /// Mon=1 .. Sat=6.
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
    pub room: String,
}

impl Slot {
    pub fn meeting(&self) -> Meeting {
        Meeting {
            day: self.weekday,
            start: self.start,
            end: self.end,
        }
    }

    /// Whether the two meetings clash (`Meeting::overlaps`).
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.meeting().overlaps(&other.meeting())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimetableSection {
    pub section_id: i32,
    pub course_code: String,
    pub section_no: i16,
    pub title_ko: String,
    pub title_en: String,
    pub credits: i8,
    pub instructor: String,
    pub meetings: Vec<Slot>,
}

impl TimetableSection {
    /// `CSE2010-01`
    pub fn label(&self) -> String {
        format!("{}-{:02}", self.course_code, self.section_no)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Block {
    pub section_id: i32,
    pub meeting_id: i32,
    pub label: String,
    pub title_ko: String,
    pub title_en: String,
    pub room: String,
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
    /// 0-based lane within the day; overlapping meetings get different lanes.
    pub lane: u8,
    /// Lanes this block spans (a block with nothing beside it spans the whole day).
    pub span: u8,
    /// Overlaps another section's meeting.
    pub conflict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Day {
    pub weekday: u8,
    /// Columns the day needs: the most meetings that overlap at one time.
    pub lanes: u8,
    /// Ordered by start, then lane.
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub section_a: i32,
    pub section_b: i32,
    pub weekday: u8,
    /// The overlapping interval.
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Grid {
    /// First and last minute shown (whole hours).
    pub start: u16,
    pub end: u16,
    /// Row height in minutes: every meeting starts and ends on a row boundary; divides 60.
    pub slot: u16,
    pub days: Vec<Day>,
    pub total_credits: i32,
    pub conflicts: Vec<Conflict>,
}

fn gcd(a: u16, b: u16) -> u16 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Every pair of overlapping meetings of two different sections.
pub fn conflicts(sections: &[TimetableSection]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, a) in sections.iter().enumerate() {
        for b in &sections[i + 1..] {
            if a.section_id == b.section_id {
                continue;
            }
            for ma in &a.meetings {
                for mb in b.meetings.iter().filter(|mb| ma.overlaps(mb)) {
                    out.push(Conflict {
                        section_a: a.section_id,
                        section_b: b.section_id,
                        weekday: ma.weekday,
                        start: ma.start.max(mb.start),
                        end: ma.end.min(mb.end),
                    });
                }
            }
        }
    }
    out.sort_by_key(|c| (c.weekday, c.start, c.section_a, c.section_b));
    out
}

pub fn layout(sections: &[TimetableSection]) -> Grid {
    let conflicts = conflicts(sections);
    let conflicted: HashSet<(i32, u8, u16, u16)> = sections
        .iter()
        .flat_map(|s| s.meetings.iter().map(move |m| (s, m)))
        .filter(|(s, m)| {
            sections
                .iter()
                .any(|o| o.section_id != s.section_id && o.meetings.iter().any(|om| om.overlaps(m)))
        })
        .map(|(s, m)| (s.section_id, m.weekday, m.start, m.end))
        .collect();

    let mut start = DEFAULT_START;
    let mut end = DEFAULT_END;
    for m in sections.iter().flat_map(|s| &s.meetings) {
        start = start.min(m.start / 60 * 60);
        end = end.max(m.end.div_ceil(60) * 60).min(24 * 60);
    }
    let mut slot = 60;
    for m in sections.iter().flat_map(|s| &s.meetings) {
        slot = gcd(slot, m.start.saturating_sub(start) % 60);
        slot = gcd(slot, m.end.saturating_sub(start) % 60);
    }

    let days = DAYS
        .iter()
        .map(|&weekday| {
            let mut blocks: Vec<Block> = sections
                .iter()
                .flat_map(|s| s.meetings.iter().map(move |m| (s, m)))
                .filter(|(_, m)| m.weekday == weekday)
                .map(|(s, m)| Block {
                    section_id: s.section_id,
                    meeting_id: m.meeting_id,
                    label: s.label(),
                    title_ko: s.title_ko.clone(),
                    title_en: s.title_en.clone(),
                    room: m.room.clone(),
                    weekday,
                    start: m.start,
                    end: m.end,
                    lane: 0,
                    span: 1,
                    conflict: conflicted.contains(&(s.section_id, weekday, m.start, m.end)),
                })
                .collect();
            blocks.sort_by_key(|b| (b.start, std::cmp::Reverse(b.end), b.section_id));
            let lanes = assign_lanes(&mut blocks);
            Day {
                weekday,
                lanes,
                blocks,
            }
        })
        .collect();

    let mut seen = HashSet::new();
    let total_credits = sections
        .iter()
        .filter(|s| seen.insert(s.section_id))
        .map(|s| i32::from(s.credits))
        .sum();
    Grid {
        start,
        end,
        slot,
        days,
        total_credits,
        conflicts,
    }
}

/// Greedy interval partitioning per cluster of overlapping blocks (sorted by start). Returns the
/// day's lane count; a block alone in its cluster spans every lane.
fn assign_lanes(blocks: &mut [Block]) -> u8 {
    let mut day_lanes = 1u8;
    let mut i = 0;
    while i < blocks.len() {
        // The cluster: blocks connected by overlap, starting at i.
        let mut cluster_end = blocks[i].end;
        let mut j = i + 1;
        while j < blocks.len() && blocks[j].start < cluster_end {
            cluster_end = cluster_end.max(blocks[j].end);
            j += 1;
        }
        let mut lane_ends: Vec<u16> = Vec::new();
        for b in &mut blocks[i..j] {
            let lane = match lane_ends.iter().position(|&e| e <= b.start) {
                Some(l) => {
                    lane_ends[l] = b.end;
                    l
                }
                None => {
                    lane_ends.push(b.end);
                    lane_ends.len() - 1
                }
            };
            b.lane = u8::try_from(lane).unwrap_or(u8::MAX);
        }
        let used = u8::try_from(lane_ends.len()).unwrap_or(u8::MAX);
        day_lanes = day_lanes.max(used);
        i = j;
    }
    // Second pass: lone blocks widen to the whole day.
    let mut i = 0;
    while i < blocks.len() {
        let mut cluster_end = blocks[i].end;
        let mut j = i + 1;
        while j < blocks.len() && blocks[j].start < cluster_end {
            cluster_end = cluster_end.max(blocks[j].end);
            j += 1;
        }
        if j == i + 1 {
            blocks[i].span = day_lanes;
        }
        i = j;
    }
    day_lanes
}

/// One table cell of the rendered grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<'a> {
    Block {
        block: &'a Block,
        rows: usize,
        cols: u8,
    },
    Empty,
}

/// One row of the rendered grid: `slot` minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub minute: u16,
    /// Set on the first row of each hour: how many rows the hour label spans.
    pub hour_rows: Option<usize>,
    pub cells: Vec<Cell<'a>>,
}

impl Grid {
    pub fn rows(&self) -> usize {
        usize::from((self.end - self.start) / self.slot.max(1))
    }

    /// The grid as table rows (with `rowspan`/`colspan` cells), so it renders as a plain HTML
    /// table: no script, no inline styles, printable.
    pub fn table(&self) -> Vec<Row<'_>> {
        let slot = self.slot.max(1);
        let n = self.rows();
        let row_of = |minute: u16| usize::from(minute.saturating_sub(self.start) / slot);
        // occupied[day][row][lane]
        let mut occupied: Vec<Vec<Vec<bool>>> = self
            .days
            .iter()
            .map(|d| vec![vec![false; usize::from(d.lanes)]; n])
            .collect();
        let mut starts: Vec<Vec<Vec<Option<&Block>>>> = self
            .days
            .iter()
            .map(|d| vec![vec![None; usize::from(d.lanes)]; n])
            .collect();
        for (di, day) in self.days.iter().enumerate() {
            for b in &day.blocks {
                let (r0, r1) = (row_of(b.start), row_of(b.end).min(n));
                let lane = usize::from(b.lane);
                if r0 >= n || lane >= usize::from(day.lanes) {
                    continue;
                }
                starts[di][r0][lane] = Some(b);
                for row in occupied[di].iter_mut().take(r1).skip(r0) {
                    for l in lane..(lane + usize::from(b.span)).min(row.len()) {
                        row[l] = true;
                    }
                }
            }
        }
        let per_hour = usize::from(60 / slot);
        (0..n)
            .map(|r| {
                let minute = self.start + slot * r as u16;
                let mut cells = Vec::new();
                for (di, day) in self.days.iter().enumerate() {
                    for lane in 0..usize::from(day.lanes) {
                        if let Some(b) = starts[di][r][lane] {
                            cells.push(Cell::Block {
                                block: b,
                                rows: (row_of(b.end).min(n)).saturating_sub(r).max(1),
                                cols: b.span,
                            });
                        } else if !occupied[di][r][lane] {
                            cells.push(Cell::Empty);
                        }
                    }
                }
                Row {
                    minute,
                    hour_rows: minute.is_multiple_of(60).then_some(per_hour),
                    cells,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: i32, credits: i8, meetings: &[(u8, u16, u16)]) -> TimetableSection {
        TimetableSection {
            section_id: id,
            course_code: format!("CSE{}", 1000 + id),
            section_no: 1,
            title_ko: format!("과목{id}"),
            title_en: format!("Course {id}"),
            credits,
            instructor: "김교수".into(),
            meetings: meetings
                .iter()
                .enumerate()
                .map(|(i, &(weekday, start, end))| Slot {
                    meeting_id: id * 10 + i as i32,
                    weekday,
                    start,
                    end,
                    room: format!("R{id}"),
                })
                .collect(),
        }
    }

    fn day(grid: &Grid, weekday: u8) -> &Day {
        &grid.days[usize::from(weekday - 1)]
    }

    #[test]
    fn a_section_with_several_meetings_appears_on_each_day() {
        let grid = layout(&[section(1, 3, &[(1, 540, 615), (3, 540, 615)])]);
        assert_eq!(grid.days.len(), 6);
        assert_eq!(day(&grid, 1).blocks.len(), 1);
        assert_eq!(day(&grid, 3).blocks.len(), 1);
        assert!(day(&grid, 2).blocks.is_empty());
        let b = &day(&grid, 3).blocks[0];
        assert_eq!(
            (b.start, b.end, b.room.as_str(), b.lane),
            (540, 615, "R1", 0)
        );
        assert!(!b.conflict);
        assert_eq!(grid.total_credits, 3);
        assert!(grid.conflicts.is_empty());
        // 09:00–18:00 in 15-minute rows (75-minute blocks).
        assert_eq!((grid.start, grid.end, grid.slot), (540, 1080, 15));
    }

    #[test]
    fn overlapping_meetings_sit_side_by_side_and_are_flagged() {
        let grid = layout(&[
            section(1, 3, &[(2, 540, 615)]),
            section(2, 2, &[(2, 600, 660)]),
            section(3, 1, &[(2, 700, 750)]),
        ]);
        let tue = day(&grid, 2);
        assert_eq!(tue.lanes, 2);
        let lanes: Vec<(i32, u8, u8, bool)> = tue
            .blocks
            .iter()
            .map(|b| (b.section_id, b.lane, b.span, b.conflict))
            .collect();
        assert_eq!(
            lanes,
            vec![(1, 0, 1, true), (2, 1, 1, true), (3, 0, 2, false)]
        );
        assert_eq!(
            grid.conflicts,
            vec![Conflict {
                section_a: 1,
                section_b: 2,
                weekday: 2,
                start: 600,
                end: 615
            }]
        );
        assert_eq!(grid.total_credits, 6);
    }

    #[test]
    fn a_lane_is_reused_once_free_and_touching_meetings_do_not_conflict() {
        let grid = layout(&[
            section(1, 3, &[(4, 540, 720)]),
            section(2, 3, &[(4, 600, 660)]),
            section(3, 3, &[(4, 660, 700)]),
            section(4, 3, &[(4, 720, 780)]),
        ]);
        let thu = day(&grid, 4);
        let lanes: Vec<(i32, u8)> = thu.blocks.iter().map(|b| (b.section_id, b.lane)).collect();
        assert_eq!(lanes, vec![(1, 0), (2, 1), (3, 1), (4, 0)]);
        assert_eq!(thu.lanes, 2);
        // Section 4 starts when section 1 ends: no conflict.
        assert!(!thu.blocks[3].conflict);
        assert_eq!(grid.conflicts.len(), 2);
    }

    #[test]
    fn three_way_overlap_needs_three_lanes() {
        let grid = layout(&[
            section(1, 3, &[(5, 540, 660)]),
            section(2, 3, &[(5, 550, 640)]),
            section(3, 3, &[(5, 560, 600)]),
        ]);
        assert_eq!(day(&grid, 5).lanes, 3);
        assert_eq!(grid.slot, 10);
        assert_eq!(grid.conflicts.len(), 3);
    }

    #[test]
    fn evening_and_saturday_meetings_widen_the_grid() {
        let grid = layout(&[section(1, 2, &[(6, 18 * 60 + 30, 20 * 60 + 20)])]);
        assert_eq!((grid.start, grid.end), (540, 21 * 60));
        assert_eq!(day(&grid, 6).blocks.len(), 1);
    }

    #[test]
    fn table_cells_cover_every_slot_exactly_once() {
        let grid = layout(&[
            section(1, 3, &[(1, 540, 615), (3, 540, 615)]),
            section(2, 3, &[(1, 600, 690)]),
        ]);
        let rows = grid.table();
        assert_eq!(rows.len(), grid.rows());
        // Count covered (row, column) positions: every day × lane × row exactly once.
        let columns: usize = grid.days.iter().map(|d| usize::from(d.lanes)).sum();
        let covered: usize = rows
            .iter()
            .flat_map(|r| &r.cells)
            .map(|c| match c {
                Cell::Block { rows, cols, .. } => rows * usize::from(*cols),
                Cell::Empty => 1,
            })
            .sum();
        assert_eq!(covered, columns * grid.rows());
        let first = rows[0]
            .cells
            .iter()
            .find_map(|c| match c {
                Cell::Block { block, rows, cols } => Some((block.section_id, *rows, *cols)),
                Cell::Empty => None,
            })
            .expect("Monday 09:00 block");
        assert_eq!(first, (1, 5, 1));
        assert_eq!(rows[0].hour_rows, Some(4));
    }

    #[test]
    fn empty_timetable_is_an_empty_default_grid() {
        let grid = layout(&[]);
        assert_eq!((grid.start, grid.end, grid.slot), (540, 1080, 60));
        assert!(grid
            .days
            .iter()
            .all(|d| d.blocks.is_empty() && d.lanes == 1));
        assert_eq!(grid.total_credits, 0);
    }
}
