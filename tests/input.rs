//! The event decoders (`trig::input`) against hand-written lines of every
//! kind, good and bad, and against the shared data sets: the Segment and
//! RudderStack fixtures, the Taobao CSV and a YooChoose TSV. The shared
//! data lives outside the repository, so a checkout without it skips
//! loudly.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use trig::input::{parse_map, Decoder, InputFormat};
use trig::runtime::event::{Event, EventKind};
use trig::runtime::value::Value;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// Reads a shared data file, or says loudly why the test is not running.
fn read_shared(rel: &str) -> Option<Vec<u8>> {
    let path = format!("{SHARED}/{rel}");
    if !Path::new(&path).exists() {
        // Written to the real stderr, not via eprintln!, which libtest
        // captures and hides for passing tests: a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: ../shared not found; {rel} not decoded"
        );
        return None;
    }
    Some(std::fs::read(&path).unwrap())
}

fn decoder(format: &str, map: Option<&str>, source: &str) -> Decoder {
    let map = map.map(|m| parse_map(m).unwrap());
    Decoder::new(format.parse().unwrap(), map, source)
}

/// Decodes `lines` in order with one decoder; each `Ok(None)` is "-".
fn run(d: &mut Decoder, lines: &[&str]) -> Vec<Result<Option<Event>, String>> {
    lines
        .iter()
        .map(|l| d.decode(l.as_bytes()).map_err(|e| e.to_string()))
        .collect()
}

fn one(format: &str, map: Option<&str>, source: &str, line: &str) -> Result<Event, String> {
    let mut d = decoder(format, map, source);
    match d.decode(line.as_bytes()) {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err("no event".to_string()),
        Err(e) => Err(e.reason),
    }
}

fn err(format: &str, map: Option<&str>, line: &str) -> String {
    match one(format, map, "events.ndjson", line) {
        Ok(e) => panic!("{line}: decoded as {e:?}"),
        Err(e) => e,
    }
}

const T: i64 = 1_511_658_000_000; // 2017-11-26T01:00:00Z
const EXPECTED: &str =
    "expected RFC 3339, YYYY-MM-DD HH:MM:SS, YYYYMMDD or epoch seconds/milliseconds";

#[test]
fn generic_ndjson_good_lines() {
    let e = one(
        "auto",
        None,
        "-",
        r#"{"customer":"c1","event":"cart.abandoned","time":"2017-11-26T02:00:00+01:00","id":"e1","props":{"value":20,"url":"https://x","when":"2024-05-01"}}"#,
    )
    .unwrap();
    assert_eq!(
        e,
        Event::track("c1", "cart.abandoned", T)
            .with_id("e1")
            .with_props(vec![
                ("value", Value::Num(20.0)),
                ("url", Value::str("https://x")),
                // No timestamp guessing in props.
                ("when", Value::str("2024-05-01")),
            ])
    );
    let e = one(
        "ndjson",
        None,
        "-",
        r#"{"customer":42,"event":"x","time":1511658000}"#,
    )
    .unwrap();
    assert_eq!(e, Event::track("42", "x", T));
    let e = one(
        "ndjson",
        None,
        "-",
        r#"{"customer":"c","event":"x","time":1511658000123,"props":null,"id":null}"#,
    )
    .unwrap();
    assert_eq!(e, Event::track("c", "x", T + 123));
    let e = one(
        "auto",
        Some("customer=uid,event=what,time=at,id=key"),
        "-",
        r#"{"uid":"u","what":"w","at":"2017-11-26 01:00:00 UTC","key":7}"#,
    )
    .unwrap();
    assert_eq!(e, Event::track("u", "w", T).with_id("7"));
}

#[test]
fn generic_ndjson_bad_lines() {
    let cases: &[(Option<&str>, &str, &str)] = &[
        (None, r#"{"event":"x","time":0}"#, "missing field `customer`"),
        (None, r#"{"customer":"c","time":0}"#, "missing field `event`"),
        (None, r#"{"customer":"c","event":"x"}"#, "missing field `time`"),
        (
            Some("time=ts"),
            r#"{"customer":"c","event":"x","time":0}"#,
            "missing field `ts`",
        ),
        (
            None,
            r#"{"customer":true,"event":"x","time":0}"#,
            "`customer` must be a string or a number, not a bool",
        ),
        (
            None,
            r#"{"customer":null,"event":"x","time":0}"#,
            "`customer` must be a string or a number, not null",
        ),
        (
            None,
            r#"{"customer":{"id":1},"event":"x","time":0}"#,
            "`customer` must be a string or a number, not an object",
        ),
        (
            None,
            r#"{"customer":"","event":"x","time":0}"#,
            "`customer` is empty",
        ),
        (
            None,
            r#"{"customer":"c","event":"","time":0}"#,
            "`event` is empty",
        ),
        (
            None,
            r#"{"customer":"c","event":3,"time":0}"#,
            "`event` must be a string, not a number",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":"yesterday"}"#,
            &format!("`time`: \"yesterday\" is not a time ({EXPECTED})"),
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":"2017-02-30"}"#,
            "`time`: \"2017-02-30\" is not a valid time: there is no day 30 in 2017-02",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":1e300}"#,
            "`time`: 1e+300 is too far from 1970 to be a time (years 0000 to 9999)",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":"NaN"}"#,
            "`time`: \"NaN\" is not a finite number, so not a time",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":[1]}"#,
            &format!("`time`: an array is not a time ({EXPECTED})"),
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":0,"props":[1,2]}"#,
            "`props` must be an object, not an array",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":0,"props":"a=b"}"#,
            "`props` must be an object, not a string (\"a=b\")",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":0,"id":{}}"#,
            "`id` must be a string or a number, not an object",
        ),
        (
            Some("customer=1"),
            r#"{"customer":"c","event":"x","time":0}"#,
            "--map customer=1 is a column number, which only CSV input has; name the JSON field instead (--map customer=FIELD)",
        ),
        (None, r#""just a string""#, "line holds a string, not a JSON object: each line must be one event object {…}"),
        (
            None,
            "customer,event,time",
            "line is not valid JSON at column 1: expected value; this looks like CSV: name the file *.csv, or pass --input csv",
        ),
        (
            None,
            r#"{"customer":"c","event":"x","time":0"#,
            "line is not valid JSON: it stops in the middle (an unclosed `{`, `[` or string?)",
        ),
        (
            None,
            r#"{"customer":"c",}"#,
            "line is not valid JSON at column 17: trailing comma",
        ),
    ];
    for (map, line, want) in cases {
        assert_eq!(&err("auto", *map, line), want, "{line}");
    }
    // An explicit --format ndjson on a Segment message says what it looks like.
    assert_eq!(
        err("ndjson", None, r#"{"type":"track","userId":"u","event":"x","timestamp":0}"#),
        "missing field `customer` (this looks like a Segment/RudderStack message: use --input segment or auto)"
    );
}

#[test]
fn deeply_nested_props_are_an_error_not_a_crash() {
    let depth = 10_000;
    let line = format!(
        r#"{{"customer":"c","event":"x","time":0,"props":{}0{}}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    let reason = err("auto", None, &line);
    assert!(
        reason.starts_with("line is not valid JSON: nested 128 levels deep or more"),
        "{reason}"
    );
    let arrays = format!(
        r#"{{"customer":"c","event":"x","time":0,"props":{{"a":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(err("auto", None, &arrays).contains("nested 128 levels deep or more"));
}

#[test]
fn segment_track_and_identify() {
    let track = r#"{"type":"track","userId":"u1","anonymousId":"a1","event":"Order Completed","properties":{"total":30,"coupon":null},"timestamp":"2017-11-26T01:00:00Z","originalTimestamp":"1999-01-01T00:00:00Z","messageId":"m1"}"#;
    let e = one("auto", None, "-", track).unwrap();
    assert_eq!(
        e,
        Event::track("u1", "Order Completed", T)
            .with_id("m1")
            .with_props(vec![("total", Value::Num(30.0)), ("coupon", Value::Null)])
    );
    // Also with --format segment, and with a --map meant for other lines.
    assert_eq!(one("segment", None, "-", track).unwrap(), e);
    assert_eq!(one("auto", Some("customer=user"), "-", track).unwrap(), e);

    // Fallbacks: anonymousId when userId is null or empty; originalTimestamp, then receivedAt.
    let e = one(
        "auto",
        None,
        "-",
        r#"{"type":"track","userId":null,"anonymousId":"a1","event":"x","originalTimestamp":"2017-11-26T01:00:00.5Z","receivedAt":"2000-01-01"}"#,
    )
    .unwrap();
    assert_eq!((&*e.customer, e.time, e.id.clone()), ("a1", T + 500, None));
    let e = one(
        "auto",
        None,
        "-",
        r#"{"userId":"","anonymousId":"a2","event":"x","receivedAt":1511658000}"#,
    )
    .unwrap();
    assert_eq!((&*e.customer, e.time), ("a2", T));
    let e = one(
        "auto",
        None,
        "-",
        r#"{"type":"track","userId":12345,"event":"x","timestamp":1675692865495}"#,
    )
    .unwrap();
    assert_eq!((&*e.customer, e.time), ("12345", 1_675_692_865_495));

    let e = one(
        "auto",
        None,
        "-",
        r#"{"type":"identify","userId":"u1","timestamp":"2017-11-26T01:00:00Z","traits":{"first_name":"Ada","locale":"en_US"},"context":{"traits":{"first_name":"Old","unsubscribed":false}}}"#,
    )
    .unwrap();
    assert_eq!(e.kind, EventKind::Identify);
    assert_eq!(&*e.name, "identify");
    assert_eq!(e.prop("first_name"), &Value::str("Ada"));
    assert_eq!(e.prop("locale"), &Value::str("en_US"));
    assert_eq!(e.prop("unsubscribed"), &Value::Bool(false));
}

#[test]
fn segment_bad_lines() {
    let cases = [
        (
            r#"{"type":"page","userId":"u","timestamp":0}"#,
            "Segment `page` calls are not supported: only `track` and `identify` messages carry events for trig",
        ),
        (
            r#"{"type":"alias","previousId":"a","userId":"u"}"#,
            "Segment `alias` calls are not supported: only `track` and `identify` messages carry events for trig",
        ),
        (
            r#"{"type":"screen","anonymousId":"a"}"#,
            "Segment `screen` calls are not supported: only `track` and `identify` messages carry events for trig",
        ),
        (
            r#"{"type":"track","event":"x","timestamp":0}"#,
            "missing field `userId` (or `anonymousId`): a Segment message needs one to name the customer",
        ),
        (
            r#"{"type":"track","userId":"u","event":"x"}"#,
            "missing field `timestamp` (or `originalTimestamp`, `receivedAt`): a Segment message needs one for the event time",
        ),
        (
            r#"{"type":"track","userId":"u","event":"x","originalTimestamp":"NOW"}"#,
            "`originalTimestamp`: \"NOW\" is not a time (expected RFC 3339, YYYY-MM-DD HH:MM:SS, YYYYMMDD or epoch seconds/milliseconds)",
        ),
        (
            r#"{"type":"track","userId":"u","timestamp":0}"#,
            "missing field `event`",
        ),
        (
            r#"{"type":"track","userId":"u","event":"x","timestamp":0,"properties":"p"}"#,
            "`properties` must be an object, not a string (\"p\")",
        ),
        (
            r#"{"type":"identify","userId":"u","timestamp":0,"traits":[1]}"#,
            "`traits` must be an object, not an array",
        ),
        (
            r#"{"type":"track","userId":false,"event":"x","timestamp":0}"#,
            "`userId` must be a string or a number, not a bool",
        ),
        (
            r#"{"type":"track","userId":"u","event":"x","timestamp":0,"messageId":[]}"#,
            "`messageId` must be a string or a number, not an array",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(err("auto", None, line), want, "{line}");
    }
    assert_eq!(
        err("segment", None, r#"{"type":"Track","userId":"u"}"#),
        "unknown Segment call type \"Track\" (only `track` and `identify` are supported)"
    );
    assert_eq!(
        err("segment", None, r#"{"type":1,"userId":"u"}"#),
        "`type` must be a string such as \"track\", not a number"
    );
}

#[test]
fn line_handling() {
    let mut d = decoder("auto", None, "events.ndjson");
    let out = run(
        &mut d,
        &[
            "\u{feff}{\"customer\":\"c\",\"event\":\"x\",\"time\":0}\r",
            "",
            "   ",
            "{\"customer\":\"c\",\"event\":\"y\",\"time\":1}\r",
        ],
    );
    assert_eq!(&*out[0].as_ref().unwrap().as_ref().unwrap().name, "x");
    assert_eq!(out[1], Ok(None));
    assert_eq!(out[2], Ok(None));
    assert_eq!(out[3].as_ref().unwrap().as_ref().unwrap().time, 1_000);
    assert_eq!(
        d.decode(b"{\"customer\":\"caf\xc3\"}").unwrap_err().reason,
        "line is not valid UTF-8 (byte 17)"
    );
    assert_eq!(
        d.decode(b"\xff").unwrap_err().reason,
        "line is not valid UTF-8 (byte 1)"
    );
    // Non-ASCII text is fine.
    let e = d
        .decode("{\"customer\":\"Zoë\",\"event\":\"買う\",\"time\":0}".as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!((&*e.customer, &*e.name), ("Zoë", "買う"));
}

#[test]
fn csv_with_header() {
    let mut d = decoder("auto", None, "export.csv");
    let out = run(
        &mut d,
        &[
            "\u{feff}user_id,event_type,timestamp,price,in_stock,coupon,zip,phone,note\r",
            "00001,cart,2017-11-26 01:00:00,19.99,true,,01234,+33612345678,\"big, \"\"red\"\"\"",
            "",
            "2,buy,1511658000,-3,FALSE,NONE,75001,0612345678,plain",
            "3,buy,1511658000,1,2,3",
            ",buy,1511658000,1,true,x,1,2,n",
            "4,buy,later,1,true,x,1,2,n",
            "5,,1511658000,1,true,x,1,2,n",
            "6,buy,1511658000,1,true,x,1,2,\"n\"x",
        ],
    );
    assert_eq!(out[0], Ok(None));
    let e = out[1].clone().unwrap().unwrap();
    assert_eq!(
        e,
        Event::track("00001", "cart", T).with_props(vec![
            ("price", Value::Num(19.99)),
            ("in_stock", Value::Bool(true)),
            ("zip", Value::str("01234")),
            ("phone", Value::str("+33612345678")),
            ("note", Value::str("big, \"red\"")),
        ])
    );
    assert_eq!(out[2], Ok(None));
    let e = out[3].clone().unwrap().unwrap();
    assert_eq!(e.prop("price"), &Value::Num(-3.0));
    assert_eq!(e.prop("in_stock"), &Value::Bool(false));
    assert_eq!(e.prop("coupon"), &Value::str("NONE"));
    assert_eq!(e.prop("zip"), &Value::Num(75001.0));
    assert_eq!(e.prop("phone"), &Value::str("0612345678"));
    let reasons: Vec<String> = out[4..].iter().map(|r| r.clone().unwrap_err()).collect();
    assert_eq!(
        reasons,
        [
            "row has 6 columns, but the header has 9".to_string(),
            "`user_id` (column 1) is empty".to_string(),
            format!("`timestamp` (column 3): \"later\" is not a time ({EXPECTED})"),
            "`event_type` (column 2) is empty".to_string(),
            "column 9: text after the closing quote of a quoted field (inside quotes, write a quote as \"\")".to_string(),
        ]
    );
}

#[test]
fn csv_with_mapped_header_and_tsv() {
    let mut d = decoder(
        "csv",
        Some("customer=Client,event=3,time=When,id=Ref"),
        "x.tsv",
    );
    let out = run(
        &mut d,
        &[
            "When\tclient\tWhat\tRef\tQty",
            "20171126\tc1\tviewed\tr1\t2",
        ],
    );
    assert_eq!(out[0], Ok(None));
    assert_eq!(
        out[1].clone().unwrap().unwrap(),
        Event::track("c1", "viewed", T - 3_600_000)
            .with_id("r1")
            .with_props(vec![("Qty", Value::Num(2.0))])
    );
    assert_eq!(d.finish(), Ok(()));

    // A missing header column is reported once, then every row is skipped.
    let mut d = decoder("csv", Some("customer=uid"), "-");
    let out = run(&mut d, &["user,event,time", "1,x,0"]);
    assert_eq!(
        out[0].clone().unwrap_err(),
        "the CSV header could not be used: it has no column \"uid\" (from --map customer=uid); its columns are \"user\", \"event\", \"time\""
    );
    assert_eq!(
        out[1].clone().unwrap_err(),
        "row skipped: the CSV header (the first row) could not be used"
    );
    let mut d = decoder("auto", None, "a.csv");
    assert_eq!(
        d.decode(b"who,what,when").unwrap_err().reason,
        "the CSV header could not be used: it has no customer column (looked for customer, customer_id, user_id, userid, user; found \"who\", \"what\", \"when\"); name it with --map customer=COLUMN"
    );
}

#[test]
fn csv_without_header() {
    let mut d = decoder("auto", Some("customer=1,event=4,time=5"), "b.csv");
    let out = run(
        &mut d,
        &[
            "00007,10,20,pv,1511658000",
            "8,\"multi",
            "line\",20,cart,1511658000.5",
            "9,10,20,buy",
            "9,10,20,buy,",
            "\"open",
        ],
    );
    assert_eq!(
        out[0].clone().unwrap().unwrap(),
        Event::track("00007", "pv", T)
            .with_props(vec![("col2", Value::Num(10.0)), ("col3", Value::Num(20.0))])
    );
    assert_eq!(out[1], Ok(None));
    let e = out[2].clone().unwrap().unwrap();
    assert_eq!(e.prop("col2"), &Value::str("multi\nline"));
    assert_eq!(e.time, T + 500);
    assert_eq!(
        out[3].clone().unwrap_err(),
        "row has 4 columns, but the first row has 5"
    );
    assert_eq!(out[4].clone().unwrap_err(), "`time` (column 5) is empty");
    assert_eq!(out[5], Ok(None));
    assert_eq!(
        d.finish().unwrap_err().reason,
        "the input ends inside a quoted field opened 1 line(s) before the end (a missing closing `\"`?)"
    );

    let mut d = decoder("csv", Some("customer=1,event=2,time=7"), "-");
    assert_eq!(
        d.decode(b"a,b,c").unwrap_err().reason,
        "--map time=7, but the row has only 3 columns"
    );
}

/// Every line of the shared Segment / RudderStack fixtures decodes or gives
/// a reason; the great majority of the RudderStack messages decode.
#[test]
fn shared_segment_fixtures() {
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (file, min_ok) in [
        ("segment/rudderstack_ecommerce_track_fixtures.ndjson", 149),
        // Spec examples: no customer, no time, so none decodes.
        ("segment/segment_ecommerce_v2_spec_examples.ndjson", 0),
    ] {
        let Some(bytes) = read_shared(file) else {
            return;
        };
        let mut d = Decoder::new(InputFormat::Auto, None, file);
        let (mut ok, mut total) = (0, 0);
        for line in bytes.split(|&b| b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            total += 1;
            match d.decode(line) {
                Ok(Some(e)) => {
                    ok += 1;
                    assert_eq!(e.kind, EventKind::Track);
                    assert!(!e.customer.is_empty() && !e.name.is_empty());
                }
                Ok(None) => panic!("{file}: a non-blank line gave no event"),
                Err(e) => {
                    assert!(!e.reason.is_empty());
                    // Keep the message, without the value it quotes.
                    let key = e.reason.split(':').next().unwrap_or("").to_string();
                    *reasons.entry(key).or_default() += 1;
                }
            }
        }
        assert_eq!(ok, min_ok, "{file}: {ok} of {total} decoded: {reasons:?}");
        if min_ok == 0 {
            assert_eq!(total, 28);
        } else {
            assert_eq!(total, 176);
            assert!(ok * 10 >= total * 8, "the great majority must decode");
        }
    }
    // Every failure has the reason the fixture deserves: 6 RudderStack
    // messages and all 28 spec examples have no customer (the examples have
    // no time either; the customer is checked first), 15 have no time, 6
    // have "NOW" for one.
    let reasons: Vec<(&str, usize)> = reasons.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        reasons,
        [
            ("`originalTimestamp`", 6),
            (
                "missing field `timestamp` (or `originalTimestamp`, `receivedAt`)",
                15
            ),
            ("missing field `userId` (or `anonymousId`)", 6 + 28),
        ]
    );
}

#[test]
fn shared_segment_full_envelope() {
    let Some(bytes) = read_shared("segment/segment_track_call_full_envelope_example.json") else {
        return;
    };
    // A pretty-printed document: as one line, it is what a stream would carry.
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let line = doc.to_string();
    let e = one("auto", None, "example.json", &line).unwrap();
    assert_eq!(&*e.customer, "AiUGstSDIg");
    assert_eq!(&*e.name, "Course Clicked");
    assert_eq!(e.time, 1_449_947_461_249); // 2015-12-12T19:11:01.249Z, `timestamp`
    assert_eq!(
        e.id.as_deref(),
        Some("ajs-f8ca1e4de5024d9430b3928bd8ac6b96")
    );
    assert_eq!(e.prop("title"), &Value::str("Intro to Analytics"));
    assert_eq!(e.props.len(), 1);
    // The pretty-printed text, fed whole, decodes the same.
    let mut d = Decoder::new(InputFormat::Auto, None, "example.json");
    assert_eq!(d.decode(&bytes).unwrap().unwrap(), e);
}

#[test]
fn shared_taobao_csv_decodes_fully() {
    let file = "events/taobao_userbehavior_2h_window.csv";
    let Some(bytes) = read_shared(file) else {
        return;
    };
    let mut d = decoder("auto", Some("customer=1,event=4,time=5"), file);
    let mut events = 0;
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let (mut first, mut last) = (None, 0);
    for line in bytes.split(|&b| b == b'\n') {
        match d.decode(line) {
            Ok(Some(e)) => {
                events += 1;
                *names.entry(e.name.to_string()).or_default() += 1;
                last = e.time;
                first.get_or_insert(e);
            }
            Ok(None) => assert!(line.is_empty()),
            Err(e) => panic!("{file}: {e}: {}", String::from_utf8_lossy(line)),
        }
    }
    assert_eq!(d.finish(), Ok(()));
    assert_eq!(events, 110_300);
    // The first line: 543462,1715,1464116,pv,1511658000
    assert_eq!(
        first.unwrap(),
        Event::track("543462", "pv", 1_511_658_000_000).with_props(vec![
            ("col2", Value::Num(1715.0)),
            ("col3", Value::Num(1_464_116.0)),
        ])
    );
    assert_eq!(last, 1_511_665_811_000); // 2017-11-26T03:10:11Z
    let counts: Vec<(&str, usize)> = names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        counts,
        [
            ("buy", 2_493),
            ("cart", 6_063),
            ("fav", 3_383),
            ("pv", 98_361)
        ]
    );
}

#[test]
fn shared_yoochoose_tsv_with_header() {
    let file = "events/yoochoose_clicks_100k_test.tsv";
    let Some(bytes) = read_shared(file) else {
        return;
    };
    // Clicks have no event column: the item stands in for the name here.
    let mut d = decoder(
        "auto",
        Some("customer=SessionId,event=ItemId,time=Time"),
        file,
    );
    let mut events = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        if let Some(e) = d.decode(line).unwrap() {
            events.push(e);
        }
    }
    assert_eq!(events.len(), 13_568);
    // First row: 1	214536502	1396860669.277 (fraction kept to the ms).
    assert_eq!(events[0], Event::track("1", "214536502", 1_396_860_669_277));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Feeds the lines to every kind of decoder; only the absence of a
    /// panic is checked (and that a decoded event is well formed).
    fn feed(lines: &[Vec<u8>]) {
        let kinds: [(&str, Option<&str>, &str); 6] = [
            ("auto", None, "-"),
            ("segment", None, "-"),
            ("ndjson", Some("customer=c,event=1"), "-"),
            ("auto", None, "a.csv"),
            ("csv", Some("customer=1,event=2,time=3"), "a.tsv"),
            ("csv", Some("customer=c,event=2"), "a.csv"),
        ];
        for (format, map, source) in kinds {
            let mut d = decoder(format, map, source);
            for line in lines {
                if let Ok(Some(e)) = d.decode(line) {
                    assert!(!e.customer.trim().is_empty() && !e.name.trim().is_empty());
                }
            }
            let _ = d.finish();
        }
        for line in lines {
            let text = String::from_utf8_lossy(line);
            let _ = trig::input::parse_time_str(&text);
            let _ = parse_map(&text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn on_arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6)) {
            feed(&lines);
        }

        #[test]
        fn on_near_miss_text(lines in prop::collection::vec("[0-9a-e\"{}:,\\[\\]\t T.Z+\\-=]{0,40}", 1..6)) {
            let lines: Vec<Vec<u8>> = lines.into_iter().map(String::into_bytes).collect();
            feed(&lines);
        }
    }

    #[test]
    fn on_mutated_good_lines() {
        let good = [
            r#"{"customer":"c","event":"x","time":"2017-11-26T01:00:00.123+02:00","props":{"a":[1,{"b":null}]}}"#,
            r#"{"type":"identify","userId":"u","timestamp":1511658000,"traits":{"a":1},"context":{"traits":{"b":2}}}"#,
            "customer,event,time,a\r",
            "1,\"x,y\",20171126,\"q\"\"\"",
        ];
        let mut lines = Vec::new();
        for g in good {
            let b = g.as_bytes();
            for cut in 0..=b.len() {
                lines.push(b[..cut].to_vec());
                lines.push(b[cut..].to_vec());
            }
        }
        feed(&lines);
    }
}
