//! Departments: list, create (the code is unique) and rename, as a code table
//! (`code_tables`).

use askama::Template;
use diesel::prelude::*;

use crate::admin::code_tables::{
    insert_names, set_names, table, CodeTable, Listing, Names, NamesForm, Table,
};
use crate::admin::forms::{self, Act, Changed};
use crate::auth::models::Department;
use crate::db::schema::departments;
use crate::web::Layout;

pub struct Row {
    d: Department,
    form: NamesForm,
    key: String,
}

#[derive(Template)]
#[template(path = "admin/departments.html")]
pub struct DepartmentsPage {
    layout: Layout,
    listing: Listing<Row>,
}

pub fn all(conn: &mut MysqlConnection) -> QueryResult<Vec<Department>> {
    departments::table
        .order(departments::code)
        .select(Department::as_select())
        .load(conn)
}

/// The departments table: search and section pages show department codes, so a change bumps
/// the catalog.
pub struct Departments;

impl CodeTable for Departments {
    const TABLE: Table = table!("/admin/departments", "department", Changed::Catalog);

    type Loaded = Department;
    type Row = Row;
    type Page = DepartmentsPage;

    fn load(conn: &mut MysqlConnection) -> QueryResult<Vec<Department>> {
        all(conn)
    }

    fn stored(d: &Department) -> (i32, NamesForm) {
        (d.id, NamesForm::of(&d.code, &d.name_ko, &d.name_en))
    }

    fn row(d: Department, form: NamesForm, key: String) -> Row {
        Row { d, form, key }
    }

    fn page(layout: Layout, listing: Listing<Row>) -> DepartmentsPage {
        DepartmentsPage { layout, listing }
    }

    fn insert(conn: &mut MysqlConnection, act: &Act, code: &str, n: &Names) -> QueryResult<()> {
        insert_names!(departments, conn, code, &n.ko, &n.en)?;
        act.record(conn, "department_create", None, None, code.to_string())
    }

    fn rename(conn: &mut MysqlConnection, act: &Act, id: i32, n: &Names) -> QueryResult<()> {
        let code: String = departments::table
            .find(id)
            .select(departments::code)
            .for_update()
            .first(conn)?;
        set_names!(departments, conn, id, &n.ko, &n.en)?;
        let detail = format!("{code}: {} / {}", n.ko, n.en);
        act.record(conn, "department_rename", None, None, detail)
    }
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
