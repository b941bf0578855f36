use diesel::sql_types::Text;
use diesel::{sql_query, Connection, MysqlConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::MigrationHarness;

use crate::helpers::{url_for, TestDb};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct CreateTable {
    #[diesel(sql_type = Text, column_name = "Create Table")]
    ddl: String,
}

/// Every table's DDL (auto-increment counters aside), sorted: the schema as MySQL sees it.
fn schema(conn: &mut MysqlConnection) -> Vec<String> {
    let tables: Vec<Name> = sql_query(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '__diesel_schema_migrations' ORDER BY TABLE_NAME",
    )
    .load(conn)
    .expect("tables");
    tables
        .into_iter()
        .map(|t| {
            let rows: Vec<CreateTable> = sql_query(format!("SHOW CREATE TABLE `{}`", t.name))
                .load(conn)
                .expect("ddl");
            let ddl = rows.into_iter().next().expect("row").ddl;
            ddl.split(' ')
                .filter(|w| !w.starts_with("AUTO_INCREMENT="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn every_migration_down_reverts_its_up() {
    // A database that has never seen a migration.
    let db = TestDb::create();
    let mut conn = MysqlConnection::establish(&url_for(&db.name)).expect("connect");
    conn.revert_all_migrations(sugang::db::MIGRATIONS)
        .expect("revert all");
    assert!(
        schema(&mut conn).is_empty(),
        "reverting everything leaves no table"
    );

    let total = conn
        .pending_migrations(sugang::db::MIGRATIONS)
        .expect("pending")
        .len();
    assert!(total >= 15, "the whole data model is migrated");
    for step in 0..total {
        let before = schema(&mut conn);
        let applied = conn
            .run_next_migration(sugang::db::MIGRATIONS)
            .expect("up")
            .to_string();
        let after = schema(&mut conn);
        assert_ne!(before, after, "migration {applied} changes the schema");
        conn.revert_last_migration(sugang::db::MIGRATIONS)
            .expect("down");
        assert_eq!(
            schema(&mut conn),
            before,
            "down of {applied} (step {step}) restores the schema"
        );
        conn.run_next_migration(sugang::db::MIGRATIONS)
            .expect("up again");
        assert_eq!(
            schema(&mut conn),
            after,
            "up of {applied} is repeatable after its down"
        );
    }
    assert!(conn
        .pending_migrations(sugang::db::MIGRATIONS)
        .expect("pending")
        .is_empty());
}
