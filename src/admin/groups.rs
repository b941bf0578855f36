//! Priority groups (장애학생, 졸업예정자, 체육특기자, ...): list, create, rename, delete (only
//! while no window names the group), and per group its members, added and removed by student
//! number (many at once through the CSV import, `csv_import::Kind::Members`). A registration
//! window naming a group opens for its members only (`catalog::Window::applies_to`).
//!
//! Every write locks the group's row first, so a delete and a member change or a window naming
//! the group (`terms::lock_group`) are one decision each.

use actix_web::web;
use askama::Template;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::code_tables::{
    self, insert_names, set_names, CodeTable, Listing, Names, NamesForm,
};
use crate::admin::forms::{
    self, fail, field, run, unprocessable, Act, Answer, Changed, Console, FormErrors, TxFail,
};
use crate::db::schema::{priority_group_members, priority_groups, registration_windows, users};
use crate::startup::AppState;
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

/// Every group, by code.
pub fn all(conn: &mut MysqlConnection) -> QueryResult<Vec<PriorityGroup>> {
    priority_groups::table
        .order(priority_groups::code)
        .select(PriorityGroup::as_select())
        .load(conn)
}

/// Locks the group's row: every write of a group and its members takes this lock first.
fn lock(conn: &mut MysqlConnection, id: i32) -> QueryResult<PriorityGroup> {
    priority_groups::table
        .find(id)
        .select(PriorityGroup::as_select())
        .for_update()
        .first(conn)
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
    let groups = all(conn)?;
    let members: std::collections::HashMap<i32, i64> = priority_group_members::table
        .group_by(priority_group_members::group_id)
        .select((priority_group_members::group_id, count_star()))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    let windows: std::collections::HashMap<i32, i64> = registration_windows::table
        .filter(registration_windows::group_id.is_not_null())
        .group_by(registration_windows::group_id)
        .select((registration_windows::group_id, count_star()))
        .load::<(Option<i32>, i64)>(conn)?
        .into_iter()
        .filter_map(|(g, n)| Some((g?, n)))
        .collect();
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
    const PATH: &'static str = "/admin/groups";
    const CHANGED: Changed = Changed::Nothing;
    const CREATED: &'static str = "admin.group.created";
    const RENAMED: &'static str = "admin.group.renamed";
    const CODE_TAKEN: &'static str = "admin.group.code_taken";

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
        let g = lock(conn, id)?;
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
        let g = lock(conn, id)?;
        let windows: i64 = registration_windows::table
            .filter(registration_windows::group_id.eq(id))
            .count()
            .get_result(conn)?;
        if windows > 0 {
            return Err(field("admin.group.in_use", "group")
                .arg("windows", windows)
                .into());
        }
        let members = diesel::delete(
            priority_group_members::table.filter(priority_group_members::group_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(priority_groups::table.find(id)).execute(conn)?;
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
        Groups::PATH,
        Changed::Nothing,
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

/// The group's members, by student number.
pub fn members(conn: &mut MysqlConnection, group_id: i32) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i32, String, String, Option<i8>)> = priority_group_members::table
        .inner_join(users::table)
        .filter(priority_group_members::group_id.eq(group_id))
        .order(users::login_id)
        .select((users::id, users::login_id, users::name, users::class_year))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(student_id, login_id, name, class_year)| Member {
            student_id,
            login_id,
            name,
            class_year,
        })
        .collect())
}

async fn group_page(
    app: &AppState,
    layout: Layout,
    id: i32,
    form: MemberForm,
    errors: FormErrors,
) -> Result<GroupPage, AppError> {
    let (group, members) = app
        .db
        .run(move |conn| {
            let group = priority_groups::table
                .find(id)
                .select(PriorityGroup::as_select())
                .first(conn)?;
            Ok((group, members(conn, id)?))
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
        let g = lock(conn, id)?;
        let student: Option<(i32, String)> = users::table
            .filter(users::login_id.eq(&number))
            .filter(users::role.eq("student"))
            .select((users::id, users::login_id))
            .first(conn)
            .optional()?;
        let Some((student_id, login_id)) = student else {
            return Err(field("admin.group.unknown_student", "student_number")
                .arg("value", &number)
                .into());
        };
        let already: i64 = priority_group_members::table
            .filter(priority_group_members::group_id.eq(id))
            .filter(priority_group_members::student_id.eq(student_id))
            .count()
            .get_result(conn)?;
        if already > 0 {
            return Err(field("admin.group.already_member", "student_number")
                .arg("value", &login_id)
                .into());
        }
        diesel::insert_into(priority_group_members::table)
            .values((
                priority_group_members::group_id.eq(id),
                priority_group_members::student_id.eq(student_id),
            ))
            .execute(conn)?;
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
        let g = lock(conn, id)?;
        let login_id: String = users::table
            .find(student_id)
            .select(users::login_id)
            .first(conn)?;
        let n = diesel::delete(
            priority_group_members::table
                .filter(priority_group_members::group_id.eq(id))
                .filter(priority_group_members::student_id.eq(student_id)),
        )
        .execute(conn)?;
        if n == 0 {
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
