//! Email through a real SMTP server started inside the test; a server that refuses at first; and
//! two server processes sharing one outbox without sending anything twice.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::response::{INTERNAL_ERROR, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

use crate::helpers::{Backend, TestApp, TestDb, spawn_app_with};
use crate::process::ServerProcess;
use crate::world::World;

#[derive(Default)]
struct Inbox {
    /// (recipients, raw message)
    received: Vec<(Vec<String>, String)>,
    refuse: usize,
    refused: usize,
    /// Hold the first message this long before answering (a slow server).
    stall: Option<Duration>,
    started: usize,
}

#[derive(Clone)]
struct Capture {
    inbox: Arc<Mutex<Inbox>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Capture {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        let stall = {
            let mut inbox = self.inbox.lock().unwrap();
            inbox.started += 1;
            inbox.stall.take()
        };
        if let Some(pause) = stall {
            std::thread::sleep(pause);
        }
        let mut inbox = self.inbox.lock().unwrap();
        if inbox.refuse > 0 {
            inbox.refuse -= 1;
            inbox.refused += 1;
            return INTERNAL_ERROR;
        }
        self.to = to.to_vec();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&self.data).into_owned();
        self.inbox
            .lock()
            .unwrap()
            .received
            .push((self.to.clone(), message));
        OK
    }
}

/// An SMTP server on a free loopback port that refuses the first `refuse` messages.
fn smtp_server(refuse: usize) -> (u16, Arc<Mutex<Inbox>>) {
    smtp_server_with(Inbox {
        refuse,
        ..Inbox::default()
    })
}

fn smtp_server_with(inbox: Inbox) -> (u16, Arc<Mutex<Inbox>>) {
    let inbox = Arc::new(Mutex::new(inbox));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::new(Capture {
        inbox: inbox.clone(),
        to: Vec::new(),
        data: Vec::new(),
    });
    server
        .with_name("smtp.test")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, inbox)
}

async fn outbox(app: &TestApp) -> Vec<etrack::storage::notifications::OutboxRow> {
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    etrack::storage::notifications::outbox_rows(&mut conn).unwrap()
}

async fn wait_until_sent(
    app: &TestApp,
    seconds: u64,
) -> Vec<etrack::storage::notifications::OutboxRow> {
    for _ in 0..seconds * 10 {
        let rows = outbox(app).await;
        if !rows.is_empty() && rows.iter().all(|r| r.status == "sent") {
            return rows;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not everything was sent: {:?}", outbox(app).await);
}

async fn mail_goes_through_smtp_even_after_refusals(backend: Backend) {
    let (port, inbox) = smtp_server(2);
    let Some(app) = spawn_app_with(backend, |s| s.mail = format!("smtp://127.0.0.1:{port}")).await
    else {
        return;
    };
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-10", "2027-05-10"))
        .await;
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    // Refused twice (451), then accepted: retried after 2 s and 4 s.
    let rows = wait_until_sent(&app, 30).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 3);
    assert!(rows[0].last_error.is_some());
    let inbox = inbox.lock().unwrap();
    assert_eq!(inbox.refused, 2);
    assert_eq!(inbox.received.len(), 1);
    let (to, message) = &inbox.received[0];
    assert_eq!(to, std::slice::from_ref(&w.provider.email));
    assert!(message.contains(&etrack::notify::mailer::message_id(&rows[0].id)));
    assert!(message.contains("Subject: New housing contract from"));
}

#[actix_web::test]
async fn smtp_on_sqlite() {
    mail_goes_through_smtp_even_after_refusals(Backend::Sqlite).await;
}

#[actix_web::test]
async fn smtp_on_postgres() {
    mail_goes_through_smtp_even_after_refusals(Backend::Postgres).await;
}

/// Two processes, one outbox, one SMTP server: every email arrives exactly once.
#[actix_web::test]
async fn two_postgres_processes_send_each_email_once() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let (port, inbox) = smtp_server(0);
    let smtp = format!("smtp://127.0.0.1:{port}");
    let (a, b) = (
        ServerProcess::start_with(&db.url, &[("ETRACK_MAIL", smtp.as_str())]),
        ServerProcess::start_with(&db.url, &[("ETRACK_MAIL", smtp.as_str())]),
    );
    let (a, b) = (
        TestApp::remote(&a.base, Backend::Postgres),
        TestApp::remote(&b.base, Backend::Postgres),
    );
    let w = World::new(&a).await;
    for i in 0..12 {
        let api = if i % 2 == 0 { &a } else { &b };
        let id = w
            .draft(api, &w.agency, w.housing(1, "2027-05-10", "2027-05-10"))
            .await;
        w.step(api, &w.agency, &id, "submit", None)
            .await
            .assert_status(200);
    }
    let mut conn = etrack::storage::establish(&db.url).unwrap();
    let mut rows = Vec::new();
    for _ in 0..300 {
        rows = etrack::storage::notifications::outbox_rows(&mut conn).unwrap();
        if rows.len() == 12 && rows.iter().all(|r| r.status == "sent") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows.len(), 12);
    assert!(
        rows.iter().all(|r| r.status == "sent" && r.attempts == 1),
        "{rows:?}"
    );
    let inbox = inbox.lock().unwrap();
    assert_eq!(inbox.received.len(), 12, "each email once");
    for row in &rows {
        let id = etrack::notify::mailer::message_id(&row.id);
        assert_eq!(
            inbox
                .received
                .iter()
                .filter(|(_, m)| m.contains(&id))
                .count(),
            1,
            "{id}"
        );
    }
}

/// A process killed while sending loses nothing: after its claim's lease runs out, another process
/// sends the email, and the server gets it once.
async fn a_process_killed_while_sending_loses_nothing(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let (port, inbox) = smtp_server_with(Inbox {
        stall: Some(Duration::from_secs(4)),
        ..Inbox::default()
    });
    let smtp = format!("smtp://127.0.0.1:{port}");
    let env = [
        ("ETRACK_MAIL", smtp.as_str()),
        ("ETRACK_OUTBOX_LEASE_SECONDS", "2"),
    ];
    let a = ServerProcess::start_with(&db.url, &env);
    let api = TestApp::remote(&a.base, backend);
    let w = World::new(&api).await;
    let id = w
        .draft(&api, &w.agency, w.housing(1, "2027-05-10", "2027-05-10"))
        .await;
    w.step(&api, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    // Wait until the first process is in the middle of sending, then kill it.
    for _ in 0..100 {
        if inbox.lock().unwrap().started > 0 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        inbox.lock().unwrap().started,
        1,
        "the first process began to send"
    );
    a.signal("KILL");
    drop(a);
    let _b = ServerProcess::start_with(&db.url, &env);
    let mut conn = etrack::storage::establish(&db.url).unwrap();
    let mut rows = Vec::new();
    for _ in 0..200 {
        rows = etrack::storage::notifications::outbox_rows(&mut conn).unwrap();
        if rows.iter().all(|r| r.status == "sent") && inbox.lock().unwrap().received.len() == 1 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "sent", "{rows:?}");
    let inbox = inbox.lock().unwrap();
    assert_eq!(inbox.received.len(), 1, "sent once, by the second process");
    assert!(
        inbox.received[0]
            .1
            .contains(&etrack::notify::mailer::message_id(&rows[0].id))
    );
}

#[actix_web::test]
async fn killed_while_sending_on_postgres() {
    a_process_killed_while_sending_loses_nothing(Backend::Postgres).await;
}

#[actix_web::test]
async fn killed_while_sending_on_sqlite() {
    a_process_killed_while_sending_loses_nothing(Backend::Sqlite).await;
}
