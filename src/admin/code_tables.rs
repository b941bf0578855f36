//! Code tables of the console (departments, priority groups): rows of a unique code with a Korean
//! and an English name, listed on one page with a rename form per row and a form for a new row.
//! Creating and renaming read the same for every table; `CodeTable` names what differs.

use actix_web::web;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, run, taken, unprocessable, Act, Answer, Changed, Console, FormErrors, TxFail,
};
use crate::auth::Registrar;
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

/// The Korean and English names of a code table's row.
pub struct Names {
    pub ko: String,
    pub en: String,
}

/// The names of a code table's row, each required, at most 100 characters.
pub fn names(errors: &mut FormErrors, ko: &str, en: &str) -> Option<Names> {
    let ko = forms::text(errors, "name_ko", ko, 100);
    let en = forms::text(errors, "name_en", en, 100);
    Some(Names { ko: ko?, en: en? })
}

/// A code table's form as posted.
pub type Posted = web::Form<NamesForm>;

/// The form of a code table's row: a code and two names.
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

/// Inserts a row of code table `$table` (`departments`, `priority_groups`): its code and names.
macro_rules! insert_names {
    ($table:ident, $conn:expr, $code:expr, $ko:expr, $en:expr) => {
        diesel::insert_into($table::table)
            .values((
                $table::code.eq($code),
                $table::name_ko.eq($ko),
                $table::name_en.eq($en),
            ))
            .execute($conn)
    };
}

/// Sets the names of row `$id` of code table `$table`.
macro_rules! set_names {
    ($table:ident, $conn:expr, $id:expr, $ko:expr, $en:expr) => {
        diesel::update($table::table.find($id))
            .set(($table::name_ko.eq($ko), $table::name_en.eq($en)))
            .execute($conn)
    };
}

pub(crate) use {insert_names, set_names};

/// What a code table's page lists: each row with its rename form, the form for a new row, and
/// the refused form's errors.
pub struct Listing<R> {
    pub rows: Vec<R>,
    pub new_form: NamesForm,
    /// Which form the errors belong to: `new`, `rename-{id}`, `delete-{id}`.
    pub error_form: String,
    pub errors: FormErrors,
}

impl<R> Listing<R> {
    /// The message for field `name` of form `form`, when that form was the refused one.
    pub fn err(&self, form: &str, name: &str) -> Option<String> {
        if self.error_form == form {
            self.errors.get(name)
        } else {
            None
        }
    }
}

/// A code table's page, what a committed change means for the caches, and the catalog keys of
/// its messages: created (with `code`), renamed, code taken.
pub struct Table {
    pub path: &'static str,
    pub changed: Changed,
    pub created: &'static str,
    pub renamed: &'static str,
    pub code_taken: &'static str,
}

/// `table!("/admin/departments", "department", Changed::Catalog)`: the page, and the messages
/// `admin.department.created`, `.renamed` and `.code_taken`.
macro_rules! table {
    ($path:literal, $kind:literal, $changed:expr) => {
        crate::admin::code_tables::Table {
            path: $path,
            changed: $changed,
            created: concat!("admin.", $kind, ".created"),
            renamed: concat!("admin.", $kind, ".renamed"),
            code_taken: concat!("admin.", $kind, ".code_taken"),
        }
    };
}

pub(crate) use table;

/// What one code table is: its rows, its page, its statements, its activity lines and its
/// messages.
pub trait CodeTable: 'static {
    /// Its page, what a change means for the caches and its messages (`table!`).
    const TABLE: Table;

    /// A row as loaded, and as the page shows it with its rename form.
    type Loaded: Send + 'static;
    type Row;
    type Page: askama::Template;

    /// Every row, by code.
    fn load(conn: &mut MysqlConnection) -> QueryResult<Vec<Self::Loaded>>;

    /// A row's id and stored names.
    fn stored(row: &Self::Loaded) -> (i32, NamesForm);

    /// A row as the page shows it, with its rename form and that form's key.
    fn row(loaded: Self::Loaded, form: NamesForm, key: String) -> Self::Row;

    fn page(layout: Layout, listing: Listing<Self::Row>) -> Self::Page;

    /// Inserts a row (`insert_names!`) and records its activity line.
    fn insert(conn: &mut MysqlConnection, act: &Act, code: &str, names: &Names) -> QueryResult<()>;

    /// Locks the row, sets its names (`set_names!`) and records its activity line.
    fn rename(conn: &mut MysqlConnection, act: &Act, id: i32, names: &Names) -> QueryResult<()>;
}

/// The table's page; `failed` is the refused form (its key and what it posted).
pub async fn page<T: CodeTable>(
    app: &ConsoleApp,
    layout: Layout,
    failed: Option<(String, NamesForm)>,
    errors: FormErrors,
) -> Result<T::Page, AppError> {
    let loaded = app.db.query(|conn| T::load(conn)).await?;
    let (error_form, rows, new_form) = forms_of(failed, loaded, T::stored);
    let rows = rows
        .into_iter()
        .map(|(loaded, form, key)| T::row(loaded, form, key))
        .collect();
    let listing = Listing {
        rows,
        new_form,
        error_form,
        errors,
    };
    Ok(T::page(layout, listing))
}

/// The table's page as a registrar opens it.
pub async fn list<T: CodeTable>(c: Console) -> Answer {
    let (app, layout, errors) = c.page();
    html(page::<T>(&app, layout, None, errors).await?)
}

/// Answers a form of the table's page: the page with a message, or again with the refused form.
async fn answer<T: CodeTable>(
    app: &ConsoleApp,
    r: &Registrar,
    layout: Layout,
    failed: (String, NamesForm),
    result: Result<String, TxFail>,
) -> Answer {
    let lang = layout.lang;
    forms::answer(
        app,
        r,
        lang,
        T::TABLE.path,
        T::TABLE.changed,
        result,
        |errors| page::<T>(app, layout, Some(failed), errors),
    )
    .await
}

/// Creates a row: the code is unique, both names are required.
pub async fn create<T: CodeTable>(c: Console, form: Posted) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let form = form.into_inner();
    let failed = ("new".to_string(), form.clone());
    let mut errors = FormErrors::new(layout.lang);
    let c = code(&mut errors, "code", &form.code);
    let names = names(&mut errors, &form.name_ko, &form.name_en);
    let (Some(c), Some(names)) = (c, names) else {
        return unprocessable(page::<T>(&app, layout, Some(failed), errors).await?);
    };
    let message = layout.lang.format(T::TABLE.created, &[("code", c.clone())]);
    let result = run(&app, &r, meta, move |conn, act| {
        T::insert(conn, act, &c, &names).map_err(taken(T::TABLE.code_taken, "code"))?;
        Ok(message.clone())
    })
    .await?;
    answer::<T>(&app, &r, layout, failed, result).await
}

/// Renames a row: both names are required, the code stays.
pub async fn rename<T: CodeTable>(c: Console, id: web::Path<i32>, form: Posted) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let (id, form) = (id.into_inner(), form.into_inner());
    let failed = (format!("rename-{id}"), form.clone());
    let mut errors = FormErrors::new(layout.lang);
    let Some(names) = names(&mut errors, &form.name_ko, &form.name_en) else {
        return unprocessable(page::<T>(&app, layout, Some(failed), errors).await?);
    };
    let message = layout.lang.text(T::TABLE.renamed).to_string();
    let result = run(&app, &r, meta, move |conn, act| {
        T::rename(conn, act, id, &names)?;
        Ok(message.clone())
    })
    .await?;
    answer::<T>(&app, &r, layout, failed, result).await
}
