//! The emulator's HTTP side as clients meet it: connections are kept alive between requests,
//! a body the handler leaves unread is not taken for the next request, a client's
//! `Connection: close` still closes, and a plain GetItem (answered without moto's generic
//! path) answers what moto answers, errors included.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use dropgate_local::emulator::{Emulator, project_root};
use dropgate_local::provision;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(20);
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0";

struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// One response read off the connection: the status line, headers, then exactly the body its
/// `Content-Length` (or chunked framing) gives.
async fn read_response(conn: &mut BufReader<TcpStream>) -> Response {
    let mut line = String::new();
    tokio::time::timeout(WAIT, conn.read_line(&mut line))
        .await
        .expect("a response within the wait")
        .expect("read the status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line, got {line:?}"));
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        conn.read_line(&mut h).await.expect("read a header");
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').expect("a header line");
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let mut body = Vec::new();
    if let Some(n) = headers.get("content-length") {
        body.resize(n.parse().expect("a length"), 0);
        conn.read_exact(&mut body).await.expect("the body");
    } else if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        loop {
            let mut size = String::new();
            conn.read_line(&mut size).await.expect("a chunk size");
            let n = usize::from_str_radix(size.trim(), 16).expect("hex size");
            let mut chunk = vec![0; n + 2];
            conn.read_exact(&mut chunk).await.expect("a chunk");
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dynamodb_request(target: &str, body: &str, extra: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{target}\r\nAuthorization: {AUTH}\r\n{extra}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn connections_are_kept_and_an_unread_body_is_not_taken_for_the_next_request() {
    let emulator = Emulator::start(&project_root()).await.expect("emulator");
    let addr = emulator.endpoint.trim_start_matches("http://").to_owned();
    let mut conn = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));

    // Two calls on one connection: the first is not closed after its answer.
    let list = dynamodb_request("ListTables", "{}", "");
    conn.get_mut().write_all(list.as_bytes()).await.unwrap();
    let first = read_response(&mut conn).await;
    assert_eq!(first.status, 200);
    assert_ne!(
        first.headers.get("connection").map(String::as_str),
        Some("close")
    );

    // A body that nobody reads (the state view takes none), then a call right behind it on
    // the same connection: the rest of the body must not be read as that call.
    let junk = "POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.DeleteTable\r\n\r\n";
    let state = format!(
        "GET /moto-api/data.json HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{junk}",
        junk.len()
    );
    conn.get_mut()
        .write_all(format!("{state}{list}").as_bytes())
        .await
        .unwrap();
    let state = read_response(&mut conn).await;
    assert_eq!(state.status, 200, "the state view answers");
    let listed = read_response(&mut conn).await;
    assert_eq!(listed.status, 200, "the call behind it is answered");
    let tables: serde_json::Value = serde_json::from_slice(&listed.body).expect("JSON");
    assert!(tables["TableNames"].is_array(), "{tables}");

    // A client that asks to close is answered, then closed.
    let closing = dynamodb_request("ListTables", "{}", "Connection: close\r\n");
    conn.get_mut().write_all(closing.as_bytes()).await.unwrap();
    let last = read_response(&mut conn).await;
    assert_eq!(last.status, 200);
    assert_eq!(
        last.headers.get("connection").map(String::as_str),
        Some("close")
    );
    let mut rest = Vec::new();
    let n = tokio::time::timeout(WAIT, conn.read_to_end(&mut rest))
        .await
        .expect("closed within the wait")
        .expect("read to the end");
    assert_eq!(n, 0, "nothing after the last answer");
    emulator.stop().await;
}

#[tokio::test]
async fn a_plain_get_item_answers_what_moto_answers() {
    let emulator = Emulator::start(&project_root()).await.expect("emulator");
    let sdk = provision::sdk_config(&emulator.endpoint).await;
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    let attr = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    db.create_table()
        .table_name("t")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .expect("create table");
    let item = HashMap::from([
        ("pk".to_string(), Av::S("a/b %2F é".into())),
        ("sk".to_string(), Av::N("7".into())),
        ("n".to_string(), Av::N("-1.50".into())),
        ("yes".to_string(), Av::Bool(true)),
        ("none".to_string(), Av::Null(true)),
        (
            "list".to_string(),
            Av::L(vec![Av::S("x".into()), Av::N("2".into())]),
        ),
        (
            "map".to_string(),
            Av::M(HashMap::from([("k".to_string(), Av::Ss(vec!["s".into()]))])),
        ),
    ]);
    db.put_item()
        .table_name("t")
        .set_item(Some(item.clone()))
        .send()
        .await
        .expect("put");
    // Bytes take moto's own way (its serializer encodes them); the answer must be the same.
    let binary = HashMap::from([
        ("pk".to_string(), Av::S("bin".into())),
        ("sk".to_string(), Av::N("1".into())),
        ("b".to_string(), Av::B(vec![0u8, 159, 255].into())),
    ]);
    db.put_item()
        .table_name("t")
        .set_item(Some(binary.clone()))
        .send()
        .await
        .expect("put bytes");

    let get = |pk: &str, sk: &str| {
        db.get_item()
            .table_name("t")
            .key("pk", Av::S(pk.into()))
            .key("sk", Av::N(sk.into()))
            .consistent_read(true)
    };
    let found = get("a/b %2F é", "7").send().await.expect("get");
    assert_eq!(found.item, Some(item), "the item as it was put");
    let found = get("bin", "1").send().await.expect("get bytes");
    assert_eq!(found.item, Some(binary));
    let missing = get("a/b %2F é", "8").send().await.expect("get missing");
    assert_eq!(missing.item, None);

    let no_table = db
        .get_item()
        .table_name("nope")
        .key("pk", Av::S("x".into()))
        .send()
        .await
        .expect_err("no such table");
    assert!(
        no_table
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{no_table:?}"
    );
    let half_key = db
        .get_item()
        .table_name("t")
        .key("pk", Av::S("x".into()))
        .send()
        .await
        .expect_err("a key without its range part");
    assert_eq!(
        half_key.as_service_error().and_then(|e| e.meta().code()),
        Some("ValidationException"),
        "{half_key:?}"
    );
    emulator.stop().await;
}
