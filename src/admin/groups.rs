//! Priority groups (장애학생, 졸업예정자, 체육특기자, ...): list, create, rename, delete (only
//! while no window names the group), and per group its members, added and removed by student
//! number (many at once through the CSV import, `csv_import::Kind::Members`). A registration
//! window naming a group opens for its members only (`catalog::Window::applies_to`).
//!
//! Every write locks the group's row first, so a delete and a member change or a window naming
//! the group (`terms::lock_group`) are one decision each.

use actix_web::web;
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::code_tables::{
    self, insert_names, set_names, table, CodeTable, Listing, Names, NamesForm, Table,
};
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, fail, field, run, unprocessable, Act, Answer, Changed, Console, FormErrors, TxFail,
};
use crate::admin::queries::groups as q;
use crate::db::schema::priority_groups;
use crate::web::{html, AppError, Layout};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = priority_groups, check_for_backend(diesel::mysql::Mysql))]
pub struct PriorityGroup {
    pub id: i32,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub created_at: chrono::NaiveDateTime,
}

// ---- the list ----

pub struct Row {
    g: PriorityGroup,
    members: i64,
    windows: i64,
    form: NamesForm,
    key: String,
    delete_key: String,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage {
    layout: Layout,
    listing: Listing<Row>,
}

impl GroupsPage {
    fn name(&self, g: &PriorityGroup) -> String {
        forms::pick(self.layout.lang, &g.name_ko, &g.name_en)
    }
}

/// Each group with its member count and the number of windows naming it.
fn listing(conn: &mut MysqlConnection) -> QueryResult<Vec<(PriorityGroup, i64, i64)>> {
    let groups = q::all(conn)?;
    let members = q::member_counts(conn)?;
    let windows = q::window_counts(conn)?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let m = members.get(&g.id).copied().unwrap_or(0);
            let w = windows.get(&g.id).copied().unwrap_or(0);
            (g, m, w)
        })
        .collect())
}

/// The priority groups table: only windows read it, through the database.
pub struct Groups;

impl CodeTable for Groups {
    const TABLE: Table = table!("/admin/groups", "group", Changed::Nothing);

    type Loaded = (PriorityGroup, i64, i64);
    type Row = Row;
    type Page = GroupsPage;

    fn load(conn: &mut MysqlConnection) -> QueryResult<Vec<(PriorityGroup, i64, i64)>> {
        listing(conn)
    }

    fn stored((g, _, _): &(PriorityGroup, i64, i64)) -> (i32, NamesForm) {
        (g.id, NamesForm::of(&g.code, &g.name_ko, &g.name_en))
    }

    fn row((g, members, windows): (PriorityGroup, i64, i64), form: NamesForm, key: String) -> Row {
        Row {
            delete_key: format!("delete-{}", g.id),
            g,
            members,
            windows,
            form,
            key,
        }
    }

    fn page(layout: Layout, listing: Listing<Row>) -> GroupsPage {
        GroupsPage { layout, listing }
    }

    fn insert(conn: &mut MysqlConnection, act: &Act, code: &str, n: &Names) -> QueryResult<()> {
        insert_names!(priority_groups, conn, code, &n.ko, &n.en)?;
        let detail = format!("group {code}: {} / {}", n.ko, n.en);
        act.record(conn, "group_create", None, None, detail)
    }

    fn rename(conn: &mut MysqlConnection, act: &Act, id: i32, n: &Names) -> QueryResult<()> {
        let g = q::lock(conn, id)?;
        set_names!(priority_groups, conn, id, &n.ko, &n.en)?;
        let detail = format!(
            "group {}: {} / {} -> {} / {}",
            g.code, g.name_ko, g.name_en, n.ko, n.en
        );
        act.record(conn, "group_rename", None, None, detail)
    }
}

/// Deletes a group no window names, with its members.
pub async fn delete(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let lang = layout.lang;
    let result = run(&app, &r, meta, move |conn, act| {
        let g = q::lock(conn, id)?;
        let windows = q::windows_naming(conn, id)?;
        if windows > 0 {
            return Err(field("admin.group.in_use", "group")
                .arg("windows", windows)
                .into());
        }
        let members = q::delete(conn, id)?;
        let detail = format!("group {}: {members} members", g.code);
        act.record(conn, "group_delete", None, None, detail)?;
        Ok(g.code)
    })
    .await?
    .map(|code| lang.format("admin.group.deleted", &[("code", code)]));
    let failed = Some((format!("delete-{id}"), NamesForm::default()));
    forms::answer(
        &app,
        &r,
        lang,
        Groups::TABLE.path,
        Groups::TABLE.changed,
        result,
        |errors| code_tables::page::<Groups>(&app, layout, failed, errors),
    )
    .await
}

// ---- one group and its members ----

#[derive(Debug, Default, Clone, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    student_number: String,
}

pub struct Member {
    pub student_id: i32,
    pub login_id: String,
    pub name: String,
    pub class_year: Option<i8>,
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct GroupPage {
    layout: Layout,
    group: PriorityGroup,
    members: Vec<Member>,
    form: MemberForm,
    errors: FormErrors,
}

impl GroupPage {
    fn name(&self) -> String {
        forms::pick(self.layout.lang, &self.group.name_ko, &self.group.name_en)
    }

    fn year(&self, m: &Member) -> String {
        m.class_year.map(|y| y.to_string()).unwrap_or_default()
    }
}

async fn group_page(
    app: &ConsoleApp,
    layout: Layout,
    id: i32,
    form: MemberForm,
    errors: FormErrors,
) -> Result<GroupPage, AppError> {
    let (group, members) = app
        .db
        .run(move |conn| {
            let group = q::find(conn, id)?;
            Ok((group, q::members(conn, id)?))
        })
        .await?;
    Ok(GroupPage {
        layout,
        group,
        members,
        form,
        errors,
    })
}

pub async fn show(c: Console, path: web::Path<i32>) -> Answer {
    let (app, layout, errors) = c.page();
    html(
        group_page(
            &app,
            layout,
            path.into_inner(),
            MemberForm::default(),
            errors,
        )
        .await?,
    )
}

pub async fn add_member(c: Console, path: web::Path<i32>, form: web::Form<MemberForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let form = form.into_inner();
    let lang = layout.lang;
    let mut errors = FormErrors::new(lang);
    let Some(number) = forms::text(&mut errors, "student_number", &form.student_number, 32) else {
        return unprocessable(group_page(&app, layout, id, form, errors).await?);
    };
    let result = run(&app, &r, meta, move |conn, act| {
        let g = q::lock(conn, id)?;
        let student = q::student_by_number(conn, &number)?;
        let Some((student_id, login_id)) = student else {
            return Err(field("admin.group.unknown_student", "student_number")
                .arg("value", &number)
                .into());
        };
        if q::is_member(conn, id, student_id)? {
            return Err(field("admin.group.already_member", "student_number")
                .arg("value", &login_id)
                .into());
        }
        q::add_member(conn, id, student_id)?;
        let detail = format!("group {}: {login_id}", g.code);
        act.record(conn, "group_member_add", Some(student_id), None, detail)?;
        Ok(lang.format("admin.group.member_added", &[("value", login_id)]))
    })
    .await?;
    let to = format!("/admin/groups/{id}");
    forms::answer(&app, &r, lang, &to, Changed::Nothing, result, |errors| {
        group_page(&app, layout, id, form, errors)
    })
    .await
}

pub async fn remove_member(c: Console, path: web::Path<(i32, i32)>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let (id, student_id) = path.into_inner();
    let lang = layout.lang;
    let login_id = run(&app, &r, meta, move |conn, act| {
        let g = q::lock(conn, id)?;
        let login_id = q::login_id_of(conn, student_id)?;
        if !q::remove_member(conn, id, student_id)? {
            return Err(TxFail::NotFound);
        }
        let detail = format!("group {}: {login_id}", g.code);
        act.record(conn, "group_member_remove", Some(student_id), None, detail)?;
        Ok(login_id)
    })
    .await?
    .map_err(fail)?;
    let msg = lang.format("admin.group.member_removed", &[("value", login_id)]);
    forms::done(
        &app,
        &r,
        &format!("/admin/groups/{id}"),
        Changed::Nothing,
        msg,
    )
    .await
}
