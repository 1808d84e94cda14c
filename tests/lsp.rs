//! `trig lsp` as an editor sees it: the real binary, spoken to in
//! JSON-RPC over its stdin and stdout. The project is `examples/` (its
//! catalogs and schema); the document is an unsaved file in that folder,
//! so nothing is written to disk.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trig"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start trig lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, inbox) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            inbox,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result (panics on an error reply).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self.wait(|m| m["id"] == json!(id));
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// The next message that satisfies `want` (others are dropped).
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let msg = self
                .inbox
                .recv_timeout(Duration::from_secs(30))
                .expect("trig lsp went quiet");
            if want(&msg) {
                return msg;
            }
        }
    }

    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let msg = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn initialize(&mut self, encodings: &[&str]) -> Value {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": format!("file://{}", root.display()),
                "capabilities": {"general": {"positionEncodings": encodings}},
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "trig lsp exited with {status}");
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// An unsaved document in the examples project.
fn doc_uri() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lsp_scratch_unsaved.trig");
    format!("file://{}", path.display())
}

fn open(client: &mut Client, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "trig", "version": 1, "text": text}}),
    );
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

const BROKEN: &str = "rule scratch:\n  when cart.abandoned as c for 2h\n  then send whatsapp template \"no_such_template\"\n  key c.cart_id\n";

#[test]
fn diagnostics_follow_the_edits() {
    let mut client = Client::start();
    let init = client.initialize(&["utf-16"]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    let uri = doc_uri();
    open(&mut client, &uri, BROKEN);
    let diags = client.diagnostics_for(&uri);
    let unknown = diags
        .iter()
        .find(|d| {
            d["message"]
                .as_str()
                .unwrap_or("")
                .contains("no_such_template")
        })
        .unwrap_or_else(|| panic!("no unknown-template diagnostic in {diags:?}"));
    let code = unknown["code"].as_str().expect("code");
    assert!(code.starts_with('T') && code.len() == 5, "{code}");
    assert_eq!(unknown["severity"], 1);
    assert_eq!(unknown["source"], "trig");
    let range = &unknown["range"];
    assert_eq!(range["start"], json!({"line": 2, "character": 30}));
    assert_eq!(range["end"], json!({"line": 2, "character": 48}));
    assert!(unknown["message"].as_str().unwrap().contains("help:"));

    // Fix it with an incremental edit: the unknown name becomes a known
    // template that needs no parameters.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": range, "text": "\"hello_world\""}],
        }),
    );
    let diags = client.diagnostics_for(&uri);
    let errors: Vec<_> = diags.iter().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "still errors after the fix: {errors:?}");
    assert!(
        !diags.iter().any(|d| d["code"] == code),
        "{code} not cleared: {diags:?}"
    );
    client.shutdown();
}

#[test]
fn completion_hover_definition_formatting_tokens() {
    let mut client = Client::start();
    let init = client.initialize(&["utf-8", "utf-16"]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let uri = doc_uri();
    let text = "when cart.abandoned as c for 2h then send whatsapp template \"";
    open(&mut client, &uri, text);

    let items = client.request("textDocument/completion", at(&uri, 0, text.len() as u32));
    let labels: Vec<&str> = items
        .as_array()
        .expect("a list of items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"cart_reminder") && labels.contains(&"hello_world"),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"product_interest"),
        "an email template offered for WhatsApp"
    );
    let item = items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["label"] == "cart_reminder"))
        .expect("cart_reminder");
    assert!(item["documentation"]["value"]
        .as_str()
        .unwrap()
        .contains("you left something in your cart"));

    let hover = client.request("textDocument/hover", at(&uri, 0, 29));
    assert_eq!(
        hover["contents"]["value"],
        "**2h** = 2 hours (7,200,000 ms)"
    );
    assert_eq!(hover["range"]["start"]["character"], 29);

    let fixed = "when cart.abandoned as c for 2h   then send whatsapp template \"cart_reminder\" with (c.url, c.url) key c.cart_id\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let hover = client.request("textDocument/hover", at(&uri, 0, 68));
    let doc = hover["contents"]["value"].as_str().expect("template hover");
    assert!(
        doc.contains("APPROVED") && doc.contains("parameters: 2 positional"),
        "{doc}"
    );

    let def = client.request(
        "textDocument/definition",
        at(&uri, 0, fixed.find("c.url").unwrap() as u32),
    );
    assert_eq!(def["range"]["start"], json!({"line": 0, "character": 23}));

    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = edits.as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    let expected = trig::fmt::format_source(fixed).expect("formats");
    assert_eq!(edits[0]["newText"], expected.as_str());
    assert_ne!(expected, fixed);

    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(data.len() % 5, 0);
    let legend = &init["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"];
    let kind = |i: usize| {
        legend[data[i * 5 + 3] as usize]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(&data[..3], &[0, 0, 4], "`when` first, 4 long");
    assert_eq!(kind(0), "keyword");
    assert_eq!(kind(1), "event", "`cart` of the event name");
    client.shutdown();
}
