//! Courses: search and list, create, edit, and prerequisites. Prerequisite writes lock the whole
//! prerequisite graph (a locking scan under REPEATABLE READ takes its gap locks too), so two
//! registrars can never together close a cycle the other did not see.

use std::collections::{HashMap, HashSet};

use actix_web::web;
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::departments;
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, done, fail, field, run, run_at, unprocessable, Answer, Changed, Choice, Console,
    FormErrors, Isolation, TxFail,
};
use crate::admin::queries::courses::{self as q, CourseDetails};
use crate::auth::models::Department;
use crate::db::schema::courses;
use crate::web::form::url_encode;
use crate::web::{html, AppError, Lang, Layout};

pub const CATEGORIES: &[&str] = &[
    "major_required",
    "major_elective",
    "general_required",
    "general_elective",
    "teaching",
    "free_elective",
];

const PER_PAGE: i64 = 50;

/// Whether `from` requires `to`, directly or through other prerequisites.
pub fn requires(edges: &[(i32, i32)], from: i32, to: i32) -> bool {
    let mut next: HashMap<i32, Vec<i32>> = HashMap::new();
    for (course, required) in edges {
        next.entry(*course).or_default().push(*required);
    }
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(c) = stack.pop() {
        if c == to {
            return true;
        }
        if seen.insert(c) {
            stack.extend(next.get(&c).into_iter().flatten().copied());
        }
    }
    false
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::mysql::Mysql))]
pub struct Course {
    pub id: i32,
    pub code: String,
    pub title_ko: String,
    pub title_en: String,
    pub credits: i8,
    pub department_id: i32,
    pub category: String,
    pub description: String,
}

impl Course {
    /// The title in the page's language (a reference, as templates pass their arguments).
    pub fn title(&self, lang: &Lang) -> String {
        forms::pick(*lang, &self.title_ko, &self.title_en)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CourseForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title_ko: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    credits: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    description: String,
}

impl CourseForm {
    fn of(c: &Course) -> Self {
        CourseForm {
            code: c.code.clone(),
            title_ko: c.title_ko.clone(),
            title_en: c.title_en.clone(),
            credits: c.credits.to_string(),
            category: c.category.clone(),
            department_id: c.department_id.to_string(),
            description: c.description.clone(),
        }
    }
}

fn validate(
    f: &CourseForm,
    depts: &[Department],
    errors: &mut FormErrors,
) -> Option<CourseDetails> {
    let title_ko = forms::text(errors, "title_ko", &f.title_ko, 200);
    let title_en = forms::text(errors, "title_en", &f.title_en, 200);
    let credits = forms::int(errors, "credits", &f.credits, 0, 6);
    let category = f.category.trim();
    if !CATEGORIES.contains(&category) {
        errors.put("admin.error.choice", "category");
    }
    let department_id = f.department_id.trim().parse::<i32>().ok();
    let department_id = department_id.filter(|id| depts.iter().any(|d| d.id == *id));
    if department_id.is_none() {
        errors.put("admin.error.choice", "department_id");
    }
    let description = forms::opt_text_multiline(errors, "description", &f.description, 4000);
    if !errors.is_empty() {
        return None;
    }
    Some(CourseDetails {
        title_ko: title_ko?,
        title_en: title_en?,
        credits: credits? as i8,
        category: category.to_string(),
        department_id: department_id?,
        description: description?,
    })
}

/// The selects of a course form, the posted or stored value selected.
struct CourseChoices {
    departments: Vec<Choice>,
    categories: Vec<Choice>,
}

impl CourseChoices {
    fn of(depts: &[Department], lang: Lang, form: &CourseForm) -> Self {
        CourseChoices {
            departments: departments::choices(depts, lang, form.department_id.trim()),
            categories: category_choices(lang, form.category.trim()),
        }
    }
}

fn category_choices(lang: Lang, current: &str) -> Vec<Choice> {
    CATEGORIES
        .iter()
        .map(|c| Choice::new(c, lang.text(&format!("category.{c}")), current))
        .collect()
}

// ---- list and create ----

struct ListRow {
    c: Course,
    department: String,
}

#[derive(Template)]
#[template(path = "admin/courses.html")]
struct CoursesPage {
    layout: Layout,
    q: String,
    page: i64,
    more: bool,
    rows: Vec<ListRow>,
    form: CourseForm,
    choices: CourseChoices,
    errors: FormErrors,
}

impl CoursesPage {
    fn category(&self, c: &Course) -> &'static str {
        self.layout.t(&format!("category.{}", c.category))
    }

    fn page_href(&self, page: i64) -> String {
        let q: String = url_encode(&self.q);
        format!("/admin/courses?q={q}&page={page}")
    }
}

async fn courses_page(
    app: &ConsoleApp,
    layout: Layout,
    query: &forms::ListQuery,
    form: CourseForm,
    errors: FormErrors,
) -> Result<CoursesPage, AppError> {
    let q: String = query.q.trim().chars().take(100).collect();
    let page = forms::page_number(&query.page);
    let pattern = crate::admin::queries::like_pattern(&q);
    let (mut found, depts) = app
        .db
        .run(move |conn| {
            let found = q::list(conn, &pattern, (page - 1) * PER_PAGE, PER_PAGE + 1)?;
            Ok((found, departments::all(conn)?))
        })
        .await?;
    let more = found.len() as i64 > PER_PAGE;
    found.truncate(PER_PAGE as usize);
    Ok(CoursesPage {
        choices: CourseChoices::of(&depts, layout.lang, &form),
        layout,
        q,
        page,
        more,
        rows: found
            .into_iter()
            .map(|(c, department)| ListRow { c, department })
            .collect(),
        form,
        errors,
    })
}

pub async fn list(c: Console, query: web::Query<forms::ListQuery>) -> Answer {
    let (app, layout, errors) = c.page();
    let form = CourseForm {
        credits: "3".into(),
        category: "major_elective".into(),
        ..CourseForm::default()
    };
    html(courses_page(&app, layout, &query, form, errors).await?)
}

pub async fn create(c: Console, form: web::Form<CourseForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let form = form.into_inner();
    let lang = layout.lang;
    let mut errors = FormErrors::new(lang);
    let depts = app.db.query(departments::all).await?;
    let c = forms::course_code(&mut errors, "code", &form.code).map(String::from);
    let v = validate(&form, &depts, &mut errors);
    let (Some(c), Some(v)) = (c, v) else {
        let q = forms::ListQuery::default();
        return unprocessable(courses_page(&app, layout, &q, form, errors).await?);
    };
    let message = layout.lang.text("admin.course.created").to_string();
    let result = run(&app, &r, meta, move |conn, act| {
        let id =
            q::insert(conn, &c, &v).map_err(forms::taken("admin.course.code_taken", "code"))?;
        act.record(conn, "course_create", None, None, c.clone())?;
        Ok((format!("/admin/courses/{id}"), message.clone()))
    })
    .await?;
    let q = forms::ListQuery::default();
    forms::answer_at(&app, &r, lang, Changed::Catalog, result, |errors| {
        courses_page(&app, layout, &q, form, errors)
    })
    .await
}

// ---- one course ----

#[derive(Template)]
#[template(path = "admin/course.html")]
struct CoursePage {
    layout: Layout,
    course: Course,
    form: CourseForm,
    prerequisites: Vec<Course>,
    required_code: String,
    choices: CourseChoices,
    errors: FormErrors,
}

async fn course_page(
    app: &ConsoleApp,
    layout: Layout,
    id: i32,
    posted: Option<CourseForm>,
    required_code: String,
    errors: FormErrors,
) -> Result<CoursePage, AppError> {
    let (course, prerequisites, depts) = app
        .db
        .run(move |conn| {
            let course = q::find(conn, id)?;
            Ok((
                course,
                q::prerequisites_of(conn, id)?,
                departments::all(conn)?,
            ))
        })
        .await?;
    let form = posted.unwrap_or_else(|| CourseForm::of(&course));
    Ok(CoursePage {
        choices: CourseChoices::of(&depts, layout.lang, &form),
        layout,
        course,
        form,
        prerequisites,
        required_code,
        errors,
    })
}

pub async fn show(c: Console, path: web::Path<i32>) -> Answer {
    let (app, layout, errors) = c.page();
    html(course_page(&app, layout, path.into_inner(), None, String::new(), errors).await?)
}

pub async fn update(c: Console, path: web::Path<i32>, form: web::Form<CourseForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let form = form.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let depts = app.db.query(departments::all).await?;
    let Some(v) = validate(&form, &depts, &mut errors) else {
        return unprocessable(
            course_page(&app, layout, id, Some(form), String::new(), errors).await?,
        );
    };
    run(&app, &r, meta, move |conn, act| {
        let code = q::lock(conn, id)?;
        q::update(conn, id, &v)?;
        act.record(conn, "course_update", None, None, code)?;
        Ok(())
    })
    .await?
    .map_err(fail)?;
    let msg = layout.lang.text("admin.course.updated").to_string();
    done(
        &app,
        &r,
        &format!("/admin/courses/{id}"),
        Changed::Catalog,
        msg,
    )
    .await
}

pub async fn add_prerequisite(c: Console, path: web::Path<i32>, form: forms::Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let raw = form.v("required_code").to_string();
    let mut errors = FormErrors::new(layout.lang);
    let Some(required) = forms::course_code(&mut errors, "required_code", &raw).map(String::from)
    else {
        return unprocessable(course_page(&app, layout, id, None, raw, errors).await?);
    };
    let lang = layout.lang;
    let message = lang.format(
        "admin.course.prerequisite_added",
        &[("code", required.clone())],
    );
    let result = run_at(
        &app,
        &r,
        meta,
        Isolation::RepeatableRead,
        move |conn, act| {
            let edges = q::lock_prerequisites(conn)?;
            let course_code = q::code_of(conn, id)?;
            let required_id = crate::admin::queries::course_id_by_code(conn, &required)?
                .ok_or_else(|| {
                    field("admin.course.unknown_code", "required_code").arg("code", &required)
                })?;
            if required_id == id {
                return Err(field("admin.course.self_prerequisite", "required_code").into());
            }
            if edges.contains(&(id, required_id)) {
                return Err(field("admin.course.already_required", "required_code").into());
            }
            if requires(&edges, required_id, id) {
                return Err(field("admin.course.cycle", "required_code")
                    .arg("code", &required)
                    .into());
            }
            q::add_prerequisite(conn, id, required_id)?;
            let detail = format!("{course_code} requires {required}");
            act.record(conn, "prerequisite_add", None, None, detail)?;
            Ok(message.clone())
        },
    )
    .await?;
    let to = format!("/admin/courses/{id}");
    forms::answer(&app, &r, lang, &to, Changed::Catalog, result, |errors| {
        course_page(&app, layout, id, None, raw, errors)
    })
    .await
}

pub async fn remove_prerequisite(c: Console, path: web::Path<(i32, i32)>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let (id, required_id) = path.into_inner();
    run_at(
        &app,
        &r,
        meta,
        Isolation::RepeatableRead,
        move |conn, act| {
            if !q::remove_prerequisite(conn, id, required_id)? {
                return Err(TxFail::NotFound);
            }
            let codes = q::codes_of(conn, &[id, required_id])?;
            let code_of = |wanted: i32| {
                codes
                    .iter()
                    .find(|(i, _)| *i == wanted)
                    .map_or_else(|| wanted.to_string(), |(_, c)| c.clone())
            };
            let detail = format!("{} requires {}", code_of(id), code_of(required_id));
            act.record(conn, "prerequisite_remove", None, None, detail)?;
            Ok(())
        },
    )
    .await?
    .map_err(fail)?;
    let msg = layout.lang.text("admin.course.prerequisite_removed");
    let to = format!("/admin/courses/{id}");
    done(&app, &r, &to, Changed::Catalog, msg.to_string()).await
}

#[cfg(test)]
mod tests {
    use super::requires;

    #[test]
    fn requirement_follows_chains_and_stops_at_loops() {
        let edges = [(1, 2), (2, 3), (4, 4)];
        assert!(requires(&edges, 1, 3));
        assert!(!requires(&edges, 3, 1));
        assert!(!requires(&edges, 4, 1));
        assert!(requires(&edges, 2, 2));
    }
}
