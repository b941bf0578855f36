//! Several instances behind Debian's nginx against one MariaDB and one Redis behave as one:
//! one session per account, one waiting-room queue, no overbooking.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use sugang::cache::Cache;
use sugang::config::RoomConfig;
use sugang::db::schema::{enrollments, sections};
use sugang::waiting_room::WaitingRoom;

use crate::helpers::spawn_binary_with;
use crate::helpers::{error_code, redis_url, SectionBuilder, TestApp, PASSWORD};

struct Cluster {
    instances: Vec<Child>,
    ports: Vec<u16>,
    nginx: Child,
    base: String,
    _dir: std::path::PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
        for child in &mut self.instances {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn nginx_binary() -> String {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
        .expect("nginx is installed (scripts/test.sh installs Debian's nginx)")
}

async fn start_cluster(app: &TestApp, n: usize) -> Cluster {
    let env = [
        ("SUGANG_ACTION_LIMIT", "1000000"),
        ("SUGANG_ACTION_ADDRESS_LIMIT", "1000000"),
        ("SUGANG_LOGIN_ADDRESS_LIMIT", "1000000"),
        ("SUGANG_TRUSTED_PROXIES", "127.0.0.1/32"),
    ];
    // Before any instance starts: a missing nginx must not leave servers behind.
    let nginx_bin = nginx_binary();
    let mut instances = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..n {
        let (child, port) = spawn_binary_with(&app.db.url, &app.prefix.0, 0, &env);
        instances.push(child);
        ports.push(port);
    }
    let dir = std::env::temp_dir().join(format!("sugang-nginx-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("nginx dir");
    let port = free_port();
    let d = dir.display();
    let servers: String = ports
        .iter()
        .map(|p| format!("server 127.0.0.1:{p};\n"))
        .collect();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         upstream sugang {{\n{servers} keepalive 32;\n }}\n\
         server {{\n  listen 127.0.0.1:{port};\n  location / {{\n   proxy_pass http://sugang;\n\
         proxy_http_version 1.1;\n   proxy_set_header Connection \"\";\n   proxy_set_header Host $host;\n\
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n  }}\n }}\n}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("nginx.conf");
    let nginx = Command::new(nginx_bin)
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "nginx and the instances answer");
    Cluster {
        instances,
        ports,
        nginx,
        base,
        _dir: dir,
    }
}

#[tokio::test]
async fn three_instances_behind_nginx_behave_as_one() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE3001", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(10)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "c", 60);
    app.insert_student("20259001");
    let cluster = start_cluster(&app, 3).await;
    let base = cluster.base.clone();

    // One session per account, whichever instance answers: the older cookie is told it was
    // replaced by every instance (sent by hand, so the client's jar does not drop it).
    let sign_in = || {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"login_id": "20259001", "password": PASSWORD}))
            .send()
    };
    let laptop =
        crate::helpers::session_cookie(&sign_in().await.expect("sign-in")).expect("cookie");
    let phone = crate::helpers::session_cookie(&sign_in().await.expect("sign-in")).expect("cookie");
    let me = |cookie: &str| {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/me"))
            .header("cookie", format!("sugang_session={cookie}"))
            .send()
    };
    for _ in 0..3 {
        let res = me(&laptop).await.expect("me");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(res).await, "session_replaced");
        assert_eq!(me(&phone).await.expect("me").status(), StatusCode::OK);
    }

    // No overbooking: 60 students at once on 10 seats, spread over the instances.
    let students = app.students(&ids).await;
    let attempts = students.iter().map(|s| {
        s.client
            .post(format!("{base}/api/v1/enrollments"))
            .json(&json!({"section_id": section}))
            .send()
    });
    let mut created = 0;
    let mut full = 0;
    for res in join_all(attempts).await {
        let res = res.expect("response");
        match res.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(error_code(res).await, "section_full");
                full += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, full), (10, 50));
    let mut conn = app.conn();
    let counter: i32 = sections::table
        .find(section)
        .select(sections::enrolled)
        .first(&mut conn)
        .expect("section");
    let rows: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut conn)
        .expect("rows");
    assert_eq!((counter, rows), (10, 10));

    // One waiting-room queue: places are handed out across instances in one order.
    let room = WaitingRoom::new(Cache::new(&redis_url(), &app.prefix.0, 2).expect("redis"));
    room.set_config(RoomConfig {
        enabled: true,
        rate: 0,
        concurrency: 1000,
        pass_ttl_secs: 60,
        opens_at_ms: 0,
    })
    .await
    .expect("config");
    for s in &students[10..16] {
        let res = s
            .client
            .post(format!("{base}/api/v1/enrollments"))
            .json(&json!({"section_id": section}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["error"]["code"], "queue_required");
    }
    let queued: Vec<u64> = {
        let mut out = Vec::new();
        for s in &students[10..16] {
            match room
                .enter(s.id, chrono::Utc::now().timestamp_millis())
                .await
                .expect("enter")
            {
                sugang::waiting_room::Admission::Waiting { position } => out.push(position),
                other => panic!("{other:?}"),
            }
        }
        out
    };
    assert_eq!(
        queued,
        (1..=6).collect::<Vec<u64>>(),
        "arrival order across instances"
    );

    // Every instance took part.
    for port in &cluster.ports {
        let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let served: f64 = text
            .lines()
            .filter(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains("route=\"/api/v1/enrollments\"")
                    && l.contains("method=\"POST\"")
            })
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum();
        assert!(served > 0.0, "instance on port {port} served enrollments");
    }
}
