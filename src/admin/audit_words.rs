//! The audit view in words: which actions and outcomes a registrar can filter by (each with its
//! name in the page's language), and the detail of a console action written out in that
//! language (`정원 41 → 40`), with times in Seoul. The log keeps its stable codes and plain
//! detail; only the page translates them.

use chrono::NaiveDateTime;

use crate::admin::forms::seoul_display;
use crate::web::i18n::has_key;
use crate::web::Lang;

/// Every action the activity log records, in the order the filter lists them.
pub const ACTIONS: &[&str] = &[
    "enroll",
    "drop",
    "swap",
    "waitlist",
    "waitlist_leave",
    "waitlist_promoted",
    "waitlist_removed",
    "basket",
    "basket_allocation",
    "basket_removed",
    "section_cancelled",
    "opening_draw",
    "allocation_draw",
    "watch",
    "unwatch",
    "seats_released",
    "rate_limit",
    "override_enroll",
    "override_drop",
    "hold_add",
    "hold_release",
    "credit_limit",
    "capacity_change",
    "override_capacity",
    "section_create",
    "section_update",
    "section_meetings",
    "section_cancel",
    "course_create",
    "course_update",
    "prerequisite_add",
    "prerequisite_remove",
    "department_create",
    "department_rename",
    "term_create",
    "term_current",
    "release_times",
    "window_create",
    "window_update",
    "window_extend",
    "window_delete",
    "group_create",
    "group_rename",
    "group_delete",
    "group_member_add",
    "group_member_remove",
    "control_freeze",
    "control_unfreeze",
    "control_banner",
    "control_waiting_room",
    "import",
    "account_create",
    "account_disable",
    "account_enable",
    "one_time_password",
    "password_change",
    "login",
    "logout",
];

/// Every outcome the activity log records, in the order the filter lists them.
pub const OUTCOMES: &[&str] = &[
    "ok",
    "ok_beyond_capacity",
    "drawn",
    "window_closed",
    "hold",
    "not_eligible",
    "already_enrolled",
    "duplicate_course",
    "time_conflict",
    "prerequisite_missing",
    "credit_limit",
    "section_full",
    "not_enrolled",
    "already_waitlisted",
    "not_waitlisted",
    "waitlist_not_needed",
    "waitlist_full",
    "watch_not_needed",
    "already_watching",
    "watch_limit",
    "not_watching",
    "section_cancelled",
    "not_found",
    "already_in_basket",
    "not_in_basket",
    "basket_full",
    "basket_credit_limit",
    "rate_limited",
    "registration_frozen",
    "queue_required",
    "bad_credentials",
    "account_disabled",
];

/// Sign-in lines, which the view can hide: many a day, rarely what an audit looks for.
pub const SIGN_IN: &[&str] = &["login", "logout"];

/// The name of an action (`정원 변경`), or the code itself for one this build does not know.
pub fn action_name(lang: Lang, code: &str) -> String {
    named(lang, "action", code)
}

/// The name of an outcome (`정원 마감`), or the code itself for one this build does not know.
pub fn outcome_name(lang: Lang, code: &str) -> String {
    named(lang, "outcome", code)
}

fn named(lang: Lang, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}.{code}");
    if has_key(&key) {
        lang.text(&key).to_string()
    } else {
        code.to_string()
    }
}

/// The detail of an activity line as the page shows it. Registrar actions whose detail has a
/// known shape are written out in `lang`; anything else is shown as recorded, with its arrows
/// drawn (`->` as `→`).
pub fn describe(lang: Lang, action: &str, detail: &str) -> String {
    let words = match action {
        "capacity_change" | "override_capacity" => capacity(lang, detail),
        "section_create" => section_create(lang, detail),
        "credit_limit" => credit_limit(lang, detail),
        "window_extend" => window_extend(lang, detail),
        "window_create" | "window_update" => window(lang, detail),
        "override_enroll" | "override_drop" => override_flags(lang, detail),
        "section_cancel" => section_cancel(lang, detail),
        "waitlist" => detail
            .strip_prefix("position ")
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| {
                t(
                    lang,
                    "audit.detail.waitlist",
                    &[("position", n.to_string())],
                )
            }),
        _ => None,
    };
    words.unwrap_or_else(|| detail.replace(" -> ", " → "))
}

/// The two sections of a swap as the log records them: `drop 12 -> add 34`.
pub fn swap_sections(detail: &str) -> Option<(i32, i32)> {
    let (dropped, added) = detail.strip_prefix("drop ")?.split_once(" -> add ")?;
    Some((dropped.parse().ok()?, added.parse().ok()?))
}

/// A swap written out with both sections by code and number (`CSE2010-01 → CSE2010-02`);
/// `label` names a section id, and one it cannot name is shown as `분반 #12` / `section #12`.
pub fn swap(lang: Lang, detail: &str, label: impl Fn(i32) -> Option<String>) -> String {
    let Some((dropped, added)) = swap_sections(detail) else {
        return describe(lang, "swap", detail);
    };
    let name = |id: i32| {
        label(id).unwrap_or_else(|| t(lang, "audit.detail.section_id", &[("id", id.to_string())]))
    };
    t(
        lang,
        "audit.detail.swap",
        &[("from", name(dropped)), ("to", name(added))],
    )
}

fn t(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    lang.format(key, args)
}

/// `capacity 41 -> 40 (enrolled 39): reason`
fn capacity(lang: Lang, detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("capacity ")?;
    let (change, reason) = match rest.split_once("): ") {
        Some((c, r)) => (format!("{c})"), Some(r)),
        None => (rest.to_string(), None),
    };
    let (from, rest) = change.split_once(" -> ")?;
    let (to, enrolled) = rest.split_once(" (enrolled ")?;
    let enrolled = enrolled.strip_suffix(')')?;
    let (from, to, enrolled): (u32, u32, u32) =
        (from.parse().ok()?, to.parse().ok()?, enrolled.parse().ok()?);
    let mut out = t(
        lang,
        "audit.detail.capacity",
        &[
            ("from", from.to_string()),
            ("to", to.to_string()),
            ("enrolled", enrolled.to_string()),
        ],
    );
    if let Some(r) = reason {
        out.push_str(": ");
        out.push_str(r);
    }
    Some(out)
}

/// `CSE2010-01 capacity 40`
fn section_create(lang: Lang, detail: &str) -> Option<String> {
    let (section, capacity) = detail.split_once(" capacity ")?;
    let capacity: u32 = capacity.parse().ok()?;
    Some(t(
        lang,
        "audit.detail.section_create",
        &[
            ("section", section.to_string()),
            ("capacity", capacity.to_string()),
        ],
    ))
}

/// `Some(18) -> None` (the student's own limit; none = the term's)
fn credit_limit(lang: Lang, detail: &str) -> Option<String> {
    let (from, to) = detail.split_once(" -> ")?;
    let limit = |v: &str| -> Option<String> {
        if v == "None" {
            return Some(lang.text("audit.detail.term_default").to_string());
        }
        let n: u32 = v.strip_prefix("Some(")?.strip_suffix(')')?.parse().ok()?;
        Some(n.to_string())
    };
    Some(t(
        lang,
        "audit.detail.credit_limit",
        &[("from", limit(from)?), ("to", limit(to)?)],
    ))
}

/// A UTC time as the log writes it (`2027-02-10 01:00:00`), shown in Seoul.
fn seoul(raw: &str) -> Option<String> {
    let at = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(seoul_display(&at))
}

/// `window 7: closes 2027-02-10 01:00:00 -> 2027-02-11 01:00:00 UTC`
fn window_extend(lang: Lang, detail: &str) -> Option<String> {
    let (_, rest) = detail.split_once(": closes ")?;
    let (from, to) = rest.strip_suffix(" UTC")?.split_once(" -> ")?;
    Some(t(
        lang,
        "audit.detail.window_extend",
        &[("from", seoul(from)?), ("to", seoul(to)?)],
    ))
}

/// `term 3 register year2 2027-02-10 01:00:00 - 2027-02-11 01:00:00 UTC` (a new window) or
/// `window 7: register year2 ... UTC` (a changed one)
fn window(lang: Lang, detail: &str) -> Option<String> {
    let rest = match detail.split_once(": ") {
        Some((head, rest)) if head.starts_with("window ") => rest,
        _ => {
            let mut words = detail.splitn(3, ' ');
            (words.next()? == "term").then_some(())?;
            words.next()?;
            words.next()?
        }
    };
    let (phase, rest) = rest.split_once(' ')?;
    let (cohort, mut rest) = rest.split_once(' ')?;
    let word = |prefix: &str, code: &str| {
        let key = format!("{prefix}.{code}");
        has_key(&key).then(|| lang.text(&key).to_string())
    };
    // A window for a priority group or a parity names them after the cohort.
    let mut audience = vec![word("cohort", cohort)?];
    loop {
        let (token, after) = rest.split_once(' ')?;
        if let Some(code) = token.strip_prefix("group=") {
            audience.push(code.to_string());
        } else if let Some(p) = token.strip_prefix("parity=") {
            audience.push(word("parity", p)?);
        } else {
            break;
        }
        rest = after;
    }
    let (from, to) = rest.strip_suffix(" UTC")?.split_once(" - ")?;
    Some(t(
        lang,
        "audit.detail.window",
        &[
            ("phase", word("phase", phase)?),
            ("cohort", audience.join(" · ")),
            ("from", seoul(from)?),
            ("to", seoul(to)?),
        ],
    ))
}

/// `reason [beyond_capacity, waive=hold]`
fn override_flags(lang: Lang, detail: &str) -> Option<String> {
    let (reason, flags) = detail.strip_suffix(']')?.rsplit_once(" [")?;
    let mut out = vec![reason.to_string()];
    for flag in flags.split(", ") {
        if flag == "beyond_capacity" {
            out.push(lang.text("admin.override.beyond_capacity").to_string());
        } else {
            let rule = flag.strip_prefix("waive=")?;
            let key = format!("admin.override.waive.{rule}");
            has_key(&key).then_some(())?;
            out.push(t(
                lang,
                "audit.detail.waived",
                &[("rule", lang.text(&key).to_string())],
            ));
        }
    }
    Some(out.join(" · "))
}

/// `3 dropped, 1 waitlisted, 5 in baskets: reason`
fn section_cancel(lang: Lang, detail: &str) -> Option<String> {
    let (counts, reason) = detail.split_once(": ")?;
    let mut n = counts.split(", ").map(|part| {
        part.split_once(' ')
            .and_then(|(n, _)| n.parse::<u32>().ok())
    });
    let (dropped, waitlisted, baskets) = (n.next()??, n.next()??, n.next()??);
    Some(t(
        lang,
        "audit.detail.section_cancel",
        &[
            ("dropped", dropped.to_string()),
            ("waitlisted", waitlisted.to_string()),
            ("baskets", baskets.to_string()),
            ("reason", reason.to_string()),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case: the page's language, the action, the recorded detail and the words shown.
    fn reads_as(cases: &[(Lang, &str, &str, &str)]) {
        for (lang, action, detail, shown) in cases {
            assert_eq!(
                describe(*lang, action, detail),
                *shown,
                "{action}: {detail}"
            );
        }
    }

    #[test]
    fn a_capacity_change_reads_as_words_in_both_languages() {
        reads_as(&[
            (
                Lang::Ko,
                "capacity_change",
                "capacity 41 -> 40 (enrolled 39): 강의실 변경",
                "정원 41 → 40 (신청 39명): 강의실 변경",
            ),
            (
                Lang::En,
                "override_capacity",
                "capacity 41 -> 40 (enrolled 41)",
                "capacity 41 → 40 (41 enrolled)",
            ),
        ]);
    }

    #[test]
    fn window_times_are_shown_in_seoul() {
        reads_as(&[
            (
                Lang::Ko,
                "window_extend",
                "window 7: closes 2027-02-10 01:00:00 -> 2027-02-10 03:30:00 UTC",
                "마감 2027-02-10 10:00 → 2027-02-10 12:30 (KST)",
            ),
            (
                Lang::En,
                "window_create",
                "term 3 register year2 2027-02-10 00:00:00 - 2027-02-11 00:00:00 UTC",
                "Registration, Year 2: 2027-02-10 09:00 – 2027-02-11 09:00 (KST)",
            ),
            (
                Lang::Ko,
                "window_update",
                "window 9: add_drop all 2027-02-10 00:00:00 - 2027-02-11 00:00:00 UTC",
                "수강정정, 전체: 2027-02-10 09:00 – 2027-02-11 09:00 (KST)",
            ),
            (
                Lang::Ko,
                "window_create",
                "term 3 register all group=DISAB parity=odd 2027-02-10 00:00:00 - 2027-02-11 00:00:00 UTC",
                "수강신청, 전체 · DISAB · 홀수 학번: 2027-02-10 09:00 – 2027-02-11 09:00 (KST)",
            ),
        ]);
    }

    #[test]
    fn limits_overrides_and_cancellations_read_as_words() {
        reads_as(&[
            (
                Lang::Ko,
                "credit_limit",
                "Some(18) -> None",
                "학점 한도 18 → 학기 기본값",
            ),
            (
                Lang::En,
                "credit_limit",
                "None -> Some(21)",
                "credit limit term default → 21",
            ),
            (
                Lang::Ko,
                "override_enroll",
                "졸업 예정 [beyond_capacity, waive=hold]",
                "졸업 예정 · 정원 초과 허용 · 예외: 수강신청 제한",
            ),
            (
                Lang::En,
                "section_cancel",
                "3 dropped, 1 waitlisted, 5 in baskets: 강사 사정",
                "3 enrollments dropped, 1 taken off the waitlist, 5 taken out of baskets: 강사 사정",
            ),
            (
                Lang::En,
                "section_create",
                "CSE2010-01 capacity 40",
                "CSE2010-01, capacity 40",
            ),
            (Lang::Ko, "waitlist", "position 3", "대기 순서 3번"),
        ]);
    }

    #[test]
    fn a_swap_names_both_sections_by_code_and_number() {
        let label = |id: i32| match id {
            12 => Some("CSE2010-01".to_string()),
            34 => Some("CSE2010-02".to_string()),
            _ => None,
        };
        assert_eq!(swap_sections("drop 12 -> add 34"), Some((12, 34)));
        assert_eq!(swap_sections("drop x -> add 34"), None);
        for (lang, detail, shown) in [
            (Lang::Ko, "drop 12 -> add 34", "CSE2010-01 → CSE2010-02"),
            (Lang::En, "drop 12 -> add 34", "CSE2010-01 → CSE2010-02"),
            (Lang::En, "drop 12 -> add 99", "CSE2010-01 → section #99"),
            (Lang::Ko, "drop 77 -> add 34", "분반 #77 → CSE2010-02"),
            (Lang::Ko, "drop x -> add 34", "drop x → add 34"),
        ] {
            assert_eq!(swap(lang, detail, label), shown, "{detail}");
        }
    }

    #[test]
    fn an_unknown_shape_is_shown_as_recorded_with_its_arrows_drawn() {
        reads_as(&[
            (
                Lang::Ko,
                "capacity_change",
                "capacity ? -> 3",
                "capacity ? → 3",
            ),
            (Lang::Ko, "hold_release", "서류 제출 확인", "서류 제출 확인"),
            (
                Lang::Ko,
                "override_enroll",
                "사유 [waive=nonsense]",
                "사유 [waive=nonsense]",
            ),
        ]);
    }

    #[test]
    fn every_action_and_outcome_has_a_name_in_both_languages() {
        for code in ACTIONS {
            assert!(has_key(&format!("action.{code}")), "action.{code}");
        }
        for code in OUTCOMES {
            assert!(has_key(&format!("outcome.{code}")), "outcome.{code}");
        }
        assert_eq!(action_name(Lang::En, "no_such_action"), "no_such_action");
    }
}
