//! Departments: list, create (the code is unique) and rename.

use actix_web::web;
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, catalog_changed, fail, redirect, run, unprocessable, Answer, Console, FormErrors,
};
use crate::auth::models::Department;
use crate::db::schema::departments;
use crate::web::flash::Level;
use crate::web::{html, AppError, Layout};

/// A department or priority group code: 2 to 16 upper-case letters and digits.
pub fn code(errors: &mut FormErrors, name: &'static str, raw: &str) -> Option<String> {
    let v = raw.trim().to_ascii_uppercase();
    if v.is_empty() {
        errors.put("admin.error.required", name);
        return None;
    }
    if !(2..=16).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        errors.put("admin.error.code", name);
        return None;
    }
    Some(v)
}

/// The form of a code table's row (a department, a priority group): a code and two names.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct NamesForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name_ko: String,
    #[serde(default)]
    pub name_en: String,
}

impl NamesForm {
    pub fn of(code: &str, name_ko: &str, name_en: &str) -> Self {
        NamesForm {
            code: code.to_string(),
            name_ko: name_ko.to_string(),
            name_en: name_en.to_string(),
        }
    }
}

/// The forms of a code table's page: each row's rename form (`rename-{id}`; the posted one where
/// it was refused, else the stored names) and the form for a new row (posted when refused).
pub fn forms_of<T>(
    failed: Option<(String, NamesForm)>,
    list: Vec<T>,
    stored: impl Fn(&T) -> (i32, NamesForm),
) -> (String, Vec<(T, NamesForm, String)>, NamesForm) {
    let (error_form, posted) = failed.unwrap_or_default();
    let rows = list
        .into_iter()
        .map(|row| {
            let (id, form) = stored(&row);
            let key = format!("rename-{id}");
            let form = if key == error_form {
                posted.clone()
            } else {
                form
            };
            (row, form, key)
        })
        .collect();
    let new_form = if error_form == "new" {
        posted
    } else {
        NamesForm::default()
    };
    (error_form, rows, new_form)
}

struct Row {
    d: Department,
    form: NamesForm,
    key: String,
}

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage {
    layout: Layout,
    rows: Vec<Row>,
    new_form: NamesForm,
    error_form: String,
    errors: FormErrors,
}

impl DepartmentsPage {
    fn err(&self, form: &str, name: &str) -> Option<String> {
        if self.error_form == form {
            self.errors.get(name)
        } else {
            None
        }
    }
}

/// The Korean and English names of a code table's row (a department, a priority group), each
/// required, at most 100 characters.
pub fn names(errors: &mut FormErrors, ko: &str, en: &str) -> Option<(String, String)> {
    let ko = forms::text(errors, "name_ko", ko, 100);
    let en = forms::text(errors, "name_en", en, 100);
    ko.zip(en)
}

pub fn all(conn: &mut MysqlConnection) -> QueryResult<Vec<Department>> {
    departments::table
        .order(departments::code)
        .select(Department::as_select())
        .load(conn)
}

async fn page(
    app: &ConsoleApp,
    layout: Layout,
    failed: Option<(String, NamesForm)>,
    errors: FormErrors,
) -> Result<DepartmentsPage, AppError> {
    let list = app.db.run(|conn| Ok(all(conn)?)).await?;
    let (error_form, rows, new_form) = forms_of(failed, list, |d| {
        (d.id, NamesForm::of(&d.code, &d.name_ko, &d.name_en))
    });
    let rows = rows
        .into_iter()
        .map(|(d, form, key)| Row { d, form, key })
        .collect();
    Ok(DepartmentsPage {
        layout,
        rows,
        new_form,
        error_form,
        errors,
    })
}

pub async fn list(c: Console) -> Answer {
    let (app, layout, errors) = c.page();
    html(page(&app, layout, None, errors).await?)
}

pub async fn create(c: Console, form: web::Form<NamesForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let form = form.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let c = code(&mut errors, "code", &form.code);
    let names = names(&mut errors, &form.name_ko, &form.name_en);
    let (Some(c), Some((ko, en))) = (c, names) else {
        return unprocessable(page(&app, layout, Some(("new".into(), form)), errors).await?);
    };
    let shown = c.clone();
    let result = run(&app, &r, meta, move |conn, act| {
        diesel::insert_into(departments::table)
            .values((
                departments::code.eq(&c),
                departments::name_ko.eq(&ko),
                departments::name_en.eq(&en),
            ))
            .execute(conn)?;
        act.record(conn, "department_create", None, None, c.clone())?;
        Ok(())
    })
    .await?;
    match result {
        Ok(()) => {
            catalog_changed(&app).await;
            let msg = layout
                .lang
                .format("admin.department.created", &[("code", shown)]);
            redirect(&app, &r, "/admin/departments", Level::Ok, msg).await
        }
        Err(e) if forms::is_unique_violation(&e) => {
            errors.put("admin.department.code_taken", "code");
            unprocessable(page(&app, layout, Some(("new".into(), form)), errors).await?)
        }
        Err(e) => Err(fail(e)),
    }
}

pub async fn rename(c: Console, path: web::Path<i32>, form: web::Form<NamesForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let form = form.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let Some((ko, en)) = names(&mut errors, &form.name_ko, &form.name_en) else {
        let key = format!("rename-{id}");
        return unprocessable(page(&app, layout, Some((key, form)), errors).await?);
    };
    run(&app, &r, meta, move |conn, act| {
        let code: String = departments::table
            .find(id)
            .select(departments::code)
            .for_update()
            .first(conn)?;
        diesel::update(departments::table.find(id))
            .set((departments::name_ko.eq(&ko), departments::name_en.eq(&en)))
            .execute(conn)?;
        let detail = format!("{code}: {ko} / {en}");
        act.record(conn, "department_rename", None, None, detail)?;
        Ok(())
    })
    .await?
    .map_err(fail)?;
    catalog_changed(&app).await;
    let msg = layout.lang.text("admin.department.renamed").to_string();
    redirect(&app, &r, "/admin/departments", Level::Ok, msg).await
}

/// Department options for a `<select>`, labelled in the page's language.
pub fn choices(list: &[Department], lang: crate::web::Lang, current: &str) -> Vec<forms::Choice> {
    list.iter()
        .map(|d| {
            let name = forms::pick(lang, &d.name_ko, &d.name_en);
            forms::Choice::new(d.id, format!("{} {}", d.code, name), current)
        })
        .collect()
}
