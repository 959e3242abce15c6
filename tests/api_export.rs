//! The CSV export, through the real HTTP server: leaders download what the
//! list shows, with the list's filters; cells are quoted per RFC 4180 and
//! cannot run as spreadsheet formulas; everyone else is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Member, TestApp, filing, org};
use futures_util::future::join_all;
use serde_json::{Value, json};

on_both_backends!(
    leader_exports_what_the_list_shows,
    cells_cannot_run_as_formulas_and_round_trip,
    export_reads_page_after_page,
    only_leaders_may_export,
    a_bad_filter_is_refused,
    export_is_documented
);

const HEADER: [&str; 20] = [
    "reference",
    "id",
    "filed_at",
    "kind",
    "category",
    "urgency",
    "channel",
    "status",
    "level",
    "team_id",
    "unit_id",
    "title",
    "description",
    "customer_expectation",
    "resolved_level",
    "resolution_note",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "sla_breached",
];

/// A downloaded export: status, headers and the text.
struct Download {
    status: u16,
    content_type: String,
    disposition: String,
    text: String,
}

async fn export(app: &TestApp, query: &str, token: &str) -> Download {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/requests/export.csv{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, content_type, disposition) = (
        response.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    Download {
        status,
        content_type,
        disposition,
        text: response.text().await.unwrap(),
    }
}

/// An RFC 4180 reader, strict: quoted fields may hold anything, quotes are
/// doubled, every record ends with CRLF, and a quote anywhere else is an error.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = vec![];
    let mut record = vec![];
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if at_field_start => {
                at_field_start = false;
                loop {
                    match chars.next().expect("a closing quote") {
                        '"' if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        '"' => break,
                        other => field.push(other),
                    }
                }
                assert!(
                    matches!(chars.peek(), Some(',') | Some('\r')),
                    "a quoted field ends at a separator"
                );
            }
            '"' => panic!("a bare quote inside an unquoted field"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
            }
            '\n' => panic!("a bare line feed outside quotes"),
            other => {
                at_field_start = false;
                field.push(other);
            }
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the text ends with a complete record"
    );
    records
}

/// The rows of a download as maps of column to cell, after checking the header.
fn rows(download: &Download) -> Vec<std::collections::HashMap<String, String>> {
    let records = parse_csv(&download.text);
    let (header, rows) = records.split_first().expect("a header row");
    assert_eq!(header, &HEADER);
    rows.iter()
        .map(|row| {
            assert_eq!(row.len(), HEADER.len(), "every row has every column");
            HEADER
                .iter()
                .map(|c| (*c).to_owned())
                .zip(row.iter().cloned())
                .collect()
        })
        .collect()
}

async fn file_as(app: &TestApp, who: &Member, body: Value) -> Value {
    app.post("/api/v1/requests", &who.token, body)
        .await
        .expect(201)
        .body
}

async fn leader_exports_what_the_list_shows(app: TestApp) {
    // Arrange: three requests from two teams; one is acknowledged.
    let org = org(&app).await;
    let first = app.file(&org.front_a).await;
    let second = app.file(&org.front_b).await;
    let acked = app.file(&org.front_a).await;
    app.post(
        &format!(
            "/api/v1/requests/{}/acknowledge",
            acked["id"].as_str().unwrap()
        ),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect(200);

    // Act
    let all = export(&app, "", &org.leader.token).await;
    let new = export(&app, "?status=new", &org.leader.token).await;

    // Assert: a CSV attachment, one row per request, newest first like the list.
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.content_type, "text/csv; charset=utf-8");
    assert_eq!(
        all.disposition,
        "attachment; filename=\"upturn-requests.csv\""
    );
    let listed = app
        .get("/api/v1/requests?status=new", &org.leader.token)
        .await
        .expect(200);
    let listed_ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let new_rows = rows(&new);
    let new_ids: Vec<&str> = new_rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(new_ids, listed_ids);
    assert_eq!(
        new_ids,
        [
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ]
    );
    let all_rows = rows(&all);
    assert_eq!(all_rows.len(), 3);
    assert_eq!(all_rows[0]["id"], acked["id"].as_str().unwrap());
    assert_eq!(all_rows[0]["status"], "acknowledged");
    assert!(!all_rows[0]["acknowledged_at"].is_empty());

    // Every column says what the JSON says.
    let row = &new_rows[1];
    assert_eq!(row["reference"], first["reference"].as_str().unwrap());
    assert_eq!(row["kind"], "unmet_need");
    assert_eq!(row["category"], "availability");
    assert_eq!(row["urgency"], "high");
    assert_eq!(row["channel"], "in_person");
    assert_eq!(row["status"], "new");
    assert_eq!(row["level"], first["level"].as_str().unwrap());
    assert_eq!(row["team_id"], org.team_a);
    assert_eq!(row["unit_id"], first["unit_id"].as_str().unwrap());
    assert_eq!(row["title"], "Trousers in size 44");
    assert_eq!(row["description"], "She left without them.");
    assert_eq!(row["customer_expectation"], "Find size 44 in store");
    assert_eq!(row["resolved_level"], "");
    assert_eq!(row["acknowledged_at"], "");
    assert_eq!(row["sla_breached"], "false");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&row["filed_at"]).unwrap(),
        chrono::DateTime::parse_from_rfc3339(first["filed_at"].as_str().unwrap()).unwrap()
    );
    // Customers' names and contacts stay out of the file.
    assert!(!all.text.contains("Lefèvre"));
}

async fn cells_cannot_run_as_formulas_and_round_trip(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    let mut body = filing(r#"=HYPERLINK("http://evil.test","Click")"#);
    body["description"] = json!("Line one, then\r\nline \"two\"\nÉcharpe rouge, déjà vue");
    body["customer_expectation"] = json!("@SUM(1+1)");
    let filed = file_as(&app, &org.front_a, body).await;

    // Act
    let download = export(&app, "", &org.leader.token).await;

    // Assert: neutralised with a leading quote, and quoted per RFC 4180.
    assert_eq!(download.status, 200);
    assert!(
        download
            .text
            .contains(r#","'=HYPERLINK(""http://evil.test"",""Click"")","#),
        "{}",
        download.text
    );
    let rows = rows(&download);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["id"], filed["id"].as_str().unwrap());
    assert_eq!(row["title"], r#"'=HYPERLINK("http://evil.test","Click")"#);
    assert_eq!(row["customer_expectation"], "'@SUM(1+1)");
    // A description with line breaks, quotes and accents comes back as stored.
    assert_eq!(row["description"], filed["description"].as_str().unwrap());
    assert!(row["description"].contains("line \"two\"\nÉcharpe"));
}

async fn export_reads_page_after_page(app: TestApp) {
    // Arrange: more requests than one page of the export holds.
    let org = org(&app).await;
    let total = 1_050;
    let mut ids = vec![];
    for chunk in 0..total / 50 {
        let answers = join_all((0..50).map(|i| {
            let n = chunk * 50 + i;
            file_as(&app, &org.front_a, filing(&format!("Request {n}")))
        }))
        .await;
        ids.extend(answers.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
    }

    // Act
    let download = export(&app, "", &org.leader.token).await;

    // Assert: every request exactly once.
    assert_eq!(download.status, 200);
    let mut exported: Vec<String> = rows(&download)
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(exported.len(), total);
    exported.sort();
    ids.sort();
    assert_eq!(exported, ids);
}

async fn only_leaders_may_export(app: TestApp) {
    let org = org(&app).await;
    app.file(&org.front_a).await;
    for token in [
        &org.front_a.token,
        &org.manager_a.token,
        &org.service1.token,
        &org.admin,
    ] {
        app.get("/api/v1/requests/export.csv", token)
            .await
            .expect_problem(403, "forbidden");
    }
    app.get_public("/api/v1/requests/export.csv")
        .await
        .expect_problem(401, "unauthenticated");
}

async fn a_bad_filter_is_refused(app: TestApp) {
    let org = org(&app).await;
    let answer = app
        .get(
            "/api/v1/requests/export.csv?status=lost&filed_after=yesterday",
            &org.leader.token,
        )
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "filed_after"]);
}

async fn export_is_documented(app: TestApp) {
    let openapi = app.get_public("/api/openapi.json").await.expect(200);
    let get = &openapi.body["paths"]["/api/v1/requests/export.csv"]["get"];
    assert!(
        get["responses"]["200"]["content"]["text/csv"].is_object(),
        "{get:#}"
    );
    assert!(get["responses"]["403"].is_object(), "{get:#}");
}
