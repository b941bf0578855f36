//! What a student may do with a section right now, as shown on the section page: a pure function
//! of the section's state, the student's relation to it and the open windows. Registration itself
//! (and the authoritative rule checks) belong to `registration`; this only tells the student
//! where they stand.

use serde::Serialize;

/// The viewer's standing towards one section.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub is_student: bool,
    pub enrolled_here: bool,
    /// Enrolled in another section of the same course (its label).
    pub enrolled_other_section: Option<String>,
    pub in_basket: bool,
    /// 1-based waitlist position.
    pub waitlist_position: Option<u64>,
    /// Fails the section's department or class-year restriction.
    pub restricted: bool,
    /// A basket window of the student's cohort is open now.
    pub basket_open: bool,
    /// A register or add/drop window of the student's cohort is open now.
    pub registration_open: bool,
    /// Watching the section for a free seat.
    pub watching: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SectionFacts {
    pub cancelled: bool,
    pub seats_left: i32,
    pub waitlist_capacity: i32,
    pub waitlist_length: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Action {
    /// `register`, `drop`, `basket_add`, `basket_remove`, `waitlist_join`
    pub code: &'static str,
    /// Where the form posts (the registration pages own these routes).
    pub path: &'static str,
    pub enabled: bool,
    /// Why it is not possible now (a reason code), when disabled.
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SectionStanding)]
pub struct Standing {
    /// `available`, `full`, `cancelled`, `already_enrolled`, `duplicate_course`, `not_eligible`,
    /// `staff`
    pub state: &'static str,
    pub actions: Vec<Action>,
}

impl Standing {
    pub fn state_key(&self) -> String {
        format!("section.state.{}", self.state)
    }
}

pub fn action_key(code: &str) -> String {
    format!("section.action.{code}")
}

pub fn reason_key(code: &str) -> String {
    format!("section.reason.{code}")
}

fn action(code: &'static str, path: &'static str, open: bool) -> Action {
    Action {
        code,
        path,
        enabled: open,
        reason: (!open).then_some("window_closed"),
    }
}

pub fn standing(section: SectionFacts, viewer: &Viewer) -> Standing {
    if !viewer.is_student {
        return Standing {
            state: "staff",
            actions: vec![],
        };
    }
    if section.cancelled {
        return Standing {
            state: "cancelled",
            actions: vec![],
        };
    }
    if viewer.enrolled_here {
        return Standing {
            state: "already_enrolled",
            actions: vec![action(
                "drop",
                "/registration/drop",
                viewer.registration_open,
            )],
        };
    }
    if viewer.restricted {
        return Standing {
            state: "not_eligible",
            actions: vec![],
        };
    }
    let mut actions = Vec::new();
    let basket = if viewer.in_basket {
        action("basket_remove", "/basket/remove", viewer.basket_open)
    } else {
        action("basket_add", "/basket", viewer.basket_open)
    };
    if viewer.enrolled_other_section.is_some() {
        actions.push(basket);
        return Standing {
            state: "duplicate_course",
            actions,
        };
    }
    let state = if section.seats_left > 0 {
        actions.push(action(
            "register",
            "/registration",
            viewer.registration_open,
        ));
        "available"
    } else {
        if viewer.waitlist_position.is_none() && section.waitlist_capacity > 0 {
            let mut join = action("waitlist_join", "/waitlist", viewer.registration_open);
            if section.waitlist_length >= section.waitlist_capacity as u64 {
                join.enabled = false;
                join.reason = Some("waitlist_full");
            }
            actions.push(join);
        }
        // A full section may be watched: a notice comes when a seat opens outside the waitlist.
        actions.push(if viewer.watching {
            action("watch_remove", "/watches/remove", true)
        } else {
            action("watch", "/watches", true)
        });
        "full"
    };
    actions.push(basket);
    Standing { state, actions }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(seats_left: i32) -> SectionFacts {
        SectionFacts {
            cancelled: false,
            seats_left,
            waitlist_capacity: 5,
            waitlist_length: 0,
        }
    }

    fn student() -> Viewer {
        Viewer {
            is_student: true,
            registration_open: true,
            basket_open: true,
            ..Viewer::default()
        }
    }

    fn codes(s: &Standing) -> Vec<(&str, bool)> {
        s.actions.iter().map(|a| (a.code, a.enabled)).collect()
    }

    #[test]
    fn open_section_offers_registration_and_basket() {
        let s = standing(facts(3), &student());
        assert_eq!(s.state, "available");
        assert_eq!(codes(&s), vec![("register", true), ("basket_add", true)]);
    }

    #[test]
    fn closed_window_disables_registration_with_a_reason() {
        let v = Viewer {
            registration_open: false,
            ..student()
        };
        let s = standing(facts(3), &v);
        assert_eq!(s.actions[0].reason, Some("window_closed"));
        assert!(!s.actions[0].enabled);
    }

    #[test]
    fn full_section_offers_the_waitlist_until_it_is_full() {
        let s = standing(facts(0), &student());
        assert_eq!(s.state, "full");
        assert_eq!(
            codes(&s),
            vec![
                ("waitlist_join", true),
                ("watch", true),
                ("basket_add", true)
            ]
        );
        let watching = Viewer {
            watching: true,
            ..student()
        };
        assert_eq!(
            standing(facts(0), &watching).actions[1].code,
            "watch_remove"
        );
        let mut f = facts(0);
        f.waitlist_length = 5;
        let s = standing(f, &student());
        assert_eq!(s.actions[0].reason, Some("waitlist_full"));
    }

    #[test]
    fn enrolled_cancelled_and_restricted_sections() {
        let v = Viewer {
            enrolled_here: true,
            ..student()
        };
        let s = standing(facts(0), &v);
        assert_eq!(
            (s.state, codes(&s)),
            ("already_enrolled", vec![("drop", true)])
        );
        let mut f = facts(3);
        f.cancelled = true;
        assert_eq!(standing(f, &student()).state, "cancelled");
        let v = Viewer {
            restricted: true,
            ..student()
        };
        assert_eq!(standing(facts(3), &v).state, "not_eligible");
        let v = Viewer {
            enrolled_other_section: Some("CSE2010-02".into()),
            in_basket: true,
            ..student()
        };
        let s = standing(facts(3), &v);
        assert_eq!(
            (s.state, codes(&s)),
            ("duplicate_course", vec![("basket_remove", true)])
        );
        let staff = Viewer::default();
        assert!(standing(facts(3), &staff).actions.is_empty());
    }
}
