//! Template catalogs against real Graph API exports (from `../shared/data`)
//! and small fixtures (tests/fixtures/catalogs).

use std::path::{Path, PathBuf};

use trig::check::catalog::{
    normalize_lang, CatalogError, CatalogErrorKind, Component, Header, ParamFormat, ParamKey,
    Placeholder, TemplateCatalog, TemplateParams, WhatsappCatalog,
};

const REAL_WABA: &str = "get_message_templates_response_real_waba.json";
const JAVA_SDK: &str = "java_sdk_message_templates_list.json";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared WhatsApp data folder, or `None` (after saying so) when this
/// checkout has no `../shared`.
fn shared(what: &str) -> Option<PathBuf> {
    let dir = manifest().join("../shared/data/whatsapp");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared not found; {what} not run");
        None
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn fixture(name: &str) -> String {
    read(&manifest().join("tests/fixtures/catalogs").join(name))
}

fn load(files: &[(&str, &str)]) -> (WhatsappCatalog, Vec<CatalogError>) {
    let mut catalog = WhatsappCatalog::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        if let Err(mut e) = catalog.add_file(name, text) {
            errors.append(&mut e);
        }
    }
    (catalog, errors)
}

fn load_ok(name: &str, text: &str) -> WhatsappCatalog {
    let (catalog, errors) = load(&[(name, text)]);
    assert!(errors.is_empty(), "{name} should load: {errors:#?}");
    catalog
}

fn body(n: u32) -> Placeholder {
    Placeholder {
        component: Component::Body,
        key: ParamKey::Positional(n),
    }
}

#[test]
fn real_waba_export_loads() {
    let Some(dir) = shared("real WABA export test") else {
        return;
    };
    let c = load_ok(REAL_WABA, &read(&dir.join(REAL_WABA)));
    assert_eq!(c.len(), 25);
    assert_eq!(
        c.names().collect::<Vec<_>>(),
        vec![
            "hello_world",
            "sample_flight_confirmation",
            "sample_happy_hour_announcement",
            "sample_issue_resolution",
            "sample_movie_ticket_confirmation",
            "sample_purchase_feedback",
            "sample_shipping_confirmation",
        ]
    );
    let all: Vec<_> = c.names().flat_map(|n| c.templates(n)).collect();
    assert!(all.iter().all(|t| t.is_approved()));
    assert_eq!(all.iter().filter(|t| t.category == "MARKETING").count(), 12);
    assert_eq!(all.iter().filter(|t| t.category == "UTILITY").count(), 13);

    let feedback = c.get("sample_purchase_feedback", "en_US").unwrap();
    assert_eq!(feedback.category, "MARKETING");
    assert_eq!(feedback.id.as_deref(), Some("1350788845398345"));
    assert_eq!(
        feedback.header,
        Some(Header::Media {
            format: "IMAGE".into()
        })
    );
    assert!(feedback.has_media_header());
    assert_eq!(feedback.placeholders, vec![body(1)]);
    assert_eq!(feedback.buttons.len(), 1);
    assert_eq!(feedback.buttons[0].kind, "URL");
    assert_eq!(
        feedback.buttons[0].url.as_deref(),
        Some("https://www.example.com/")
    );
    assert_eq!(
        feedback.footer.as_deref(),
        Some("This message is from an unverified business.")
    );
    assert_eq!(
        c.languages("sample_purchase_feedback"),
        vec!["en_US", "es", "id", "pt_BR"]
    );

    let hello = c.get("hello_world", "en-US").unwrap();
    assert!(hello.placeholders.is_empty());
    assert_eq!(hello.positional_count(), 0);
    assert!(
        matches!(&hello.header, Some(Header::Text { text, params }) if text == "Hello World" && params.is_empty())
    );

    let movie = c.get("sample_movie_ticket_confirmation", "pt_BR").unwrap();
    assert_eq!(movie.placeholders, (1..=4).map(body).collect::<Vec<_>>());
    assert_eq!(movie.parameter_format, ParamFormat::Positional);
    let happy = c.get("sample_happy_hour_announcement", "es").unwrap();
    assert_eq!(
        happy.header,
        Some(Header::Media {
            format: "VIDEO".into()
        })
    );
    let flight = c.get("sample_flight_confirmation", "id").unwrap();
    assert_eq!(
        flight.header,
        Some(Header::Media {
            format: "DOCUMENT".into()
        })
    );
    assert_eq!(flight.positional_count(), 3);
    assert!(
        c.get("sample_flight_confirmation", "en").is_none(),
        "en and en_US differ"
    );
}

#[test]
fn category_is_kept_per_language() {
    let Some(dir) = shared("per-language category test") else {
        return;
    };
    let c = load_ok(REAL_WABA, &read(&dir.join(REAL_WABA)));
    // Meta recategorised this one in every language but English.
    let category = |lang| {
        c.get("sample_issue_resolution", lang)
            .unwrap()
            .category
            .as_str()
    };
    assert_eq!(category("en_US"), "UTILITY");
    assert_eq!(category("pt_BR"), "MARKETING");
    assert_eq!(category("es"), "MARKETING");
    assert!(c
        .templates("sample_issue_resolution")
        .iter()
        .any(|t| t.is_marketing()));
}

#[test]
fn java_sdk_export_loads_with_rejected_and_authentication() {
    let Some(dir) = shared("java SDK export test") else {
        return;
    };
    let c = load_ok(JAVA_SDK, &read(&dir.join(JAVA_SDK)));
    assert_eq!(c.len(), 7);
    let rejected = c.get("welcome_template3", "en_US").unwrap();
    assert_eq!(rejected.status, "REJECTED");
    assert!(!rejected.is_approved());
    assert_eq!(rejected.placeholders, vec![body(1), body(2)]);
    assert!(c.approved_languages("welcome_template3").is_empty());
    assert!(c
        .resolve_language("welcome_template3", "en_US", Some("en_US"))
        .is_none());

    let auth = c.get("number_confirmation", "pt_BR").unwrap();
    assert_eq!(auth.category, "AUTHENTICATION");
    assert_eq!(auth.positional_count(), 1);

    let schedule = c.get("schedule_confirmation3", "pt-br").unwrap();
    let kinds: Vec<_> = schedule.buttons.iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(kinds, vec!["QUICK_REPLY"; 3]);
    assert_eq!(schedule.positional_count(), 3);
    assert_eq!(
        c.get("hello_world", "en_US").unwrap().id.as_deref(),
        Some("1772832833109192")
    );
}

#[test]
fn both_real_exports_share_hello_world() {
    let Some(dir) = shared("two-export duplicate test") else {
        return;
    };
    let real = read(&dir.join(REAL_WABA));
    let java = read(&dir.join(JAVA_SDK));
    let (c, errors) = load(&[(REAL_WABA, &real), (JAVA_SDK, &java)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(e.kind, CatalogErrorKind::Duplicate);
    assert_eq!(e.file, JAVA_SDK);
    assert_eq!(
        e.message,
        format!("template `hello_world` in en_US is in both `{REAL_WABA}` and `{JAVA_SDK}`")
    );
    let (start, end) = e.span.unwrap();
    assert_eq!(&java[start..end], "\"hello_world\"");
    let first = e.previous.as_deref().unwrap();
    assert_eq!(first.file, REAL_WABA);
    let (start, end) = first.span.unwrap();
    assert_eq!(&real[start..end], "\"hello_world\"");
    // The first definition wins and the rest of the second file is kept.
    assert_eq!(
        c.get("hello_world", "en_US").unwrap().id.as_deref(),
        Some("711633970112948")
    );
    assert_eq!(c.len(), 25 + 6);
    assert_eq!(c.files(), &[REAL_WABA.to_string(), JAVA_SDK.to_string()]);
    assert_eq!(c.get("welcome_template2", "en_US").unwrap().source, 1);
}

#[test]
fn fixture_duplicate_names_both_files() {
    let (_, errors) = load(&[
        ("hello_world.json", &fixture("hello_world.json")),
        (
            "duplicate_hello_world.json",
            &fixture("duplicate_hello_world.json"),
        ),
    ]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, CatalogErrorKind::Duplicate);
    assert!(errors[0].message.contains("`hello_world.json`"));
    assert!(errors[0].message.contains("`duplicate_hello_world.json`"));
    assert_eq!(errors[0].line_col, Some((12, 15)));
}

/// Every file in the shared folder that is not a GET response, with what the
/// error must say it looks like instead.
#[test]
fn non_get_files_are_refused_with_an_explanation() {
    let Some(dir) = shared("non-GET file explanations") else {
        return;
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut checked = 0;
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == REAL_WABA || name == JAVA_SDK {
            continue;
        }
        let expected = if name.starts_with("pywa_template_create_examples_") {
            "this looks like template create requests keyed by template name"
        } else if name.starts_with("webhook_") {
            "(`entry[].changes[]`, field `"
        } else if name == "ruby_sdk_vcr_template_interactions.json" {
            "this looks like recorded HTTP interactions"
        } else {
            panic!("{name} is new in ../shared: decide what loading it should say");
        };
        let (c, errors) = load(&[(&name, &read(&path))]);
        assert!(c.is_empty(), "{name} added templates");
        assert_eq!(errors.len(), 1, "{name}: {errors:#?}");
        let e = &errors[0];
        assert!(e.message.contains(expected), "{name}: {}", e.message);
        assert!(
            e.message.contains("not a GET /message_templates response"),
            "{name}"
        );
        assert!(e.help.is_some(), "{name} has no help");
        assert_eq!(e.line_col, Some((1, 1)));
        checked += 1;
    }
    assert_eq!(checked, 10);
}

#[test]
fn webhook_messages_name_the_field() {
    let Some(dir) = shared("webhook message test") else {
        return;
    };
    let message = |file: &str| load(&[(file, &read(&dir.join(file)))]).1.remove(0).message;
    assert_eq!(
        message("webhook_template_status_rejected_java_sdk.json"),
        "this looks like a webhook payload (`entry[].changes[]`, field \
         `message_template_status_update`), not a GET /message_templates response"
    );
    assert!(message("webhook_template_quality_update_pywa.json")
        .starts_with("this looks like webhook payloads (`entry[].changes[]`, field `message_template_quality_update`)"));
}

#[test]
fn vcr_dump_points_at_the_get_response_inside_it() {
    let Some(dir) = shared("VCR dump test") else {
        return;
    };
    let text = read(&dir.join("ruby_sdk_vcr_template_interactions.json"));
    let (_, errors) = load(&[("vcr.json", &text)]);
    let help = errors[0].help.as_deref().unwrap();
    assert!(help.contains("9 (`get_templates.yml`)"), "{help}");
    assert!(
        help.contains("get_templates_when_empty_response_is_returned.yml"),
        "{help}"
    );

    // The body the help points at is the same export as the real WABA file.
    let dump: serde_json::Value = serde_json::from_str(&text).unwrap();
    let body = dump
        .pointer("/interactions/9/response/body")
        .unwrap()
        .to_string();
    assert_eq!(load_ok("get_templates.json", &body).len(), 25);
    let empty = dump
        .pointer("/interactions/11/response/body")
        .unwrap()
        .to_string();
    assert!(load_ok("empty.json", &empty).is_empty());

    // Other bodies recorded there are explained too.
    let explain = |pointer: &str| {
        let body = dump.pointer(pointer).unwrap().to_string();
        load(&[("body.json", &body)]).1.remove(0).message
    };
    assert!(explain("/interactions/5/response/body").starts_with(
        "this looks like a single template (`seasonal_promotion`, as from GET /{template-id})"
    ));
    assert!(explain("/interactions/0/request/body")
        .starts_with("this looks like a template create request (`seasonal_promotion`)"));
    assert!(explain("/interactions/0/response/body")
        .starts_with("this looks like a template create response"));
    assert!(explain("/interactions/4/response/body")
        .starts_with("this is a Graph API error response (code 100: Invalid parameter)"));
    assert!(explain("/interactions/13/response/body")
        .starts_with("this looks like a template_analytics response"));
}

#[test]
fn language_normalization() {
    assert_eq!(normalize_lang("en-US"), "en_US");
    assert_eq!(normalize_lang("pt-br"), "pt_BR");
    assert_eq!(normalize_lang("en"), "en");
    assert_ne!(normalize_lang("en"), normalize_lang("en_US"));
}

#[test]
fn fire_time_resolution_on_real_languages() {
    let Some(dir) = shared("fire-time language resolution test") else {
        return;
    };
    let c = load_ok(REAL_WABA, &read(&dir.join(REAL_WABA)));
    let lang = |requested: &str, default: Option<&str>| {
        c.resolve_language("sample_purchase_feedback", requested, default)
            .map(|t| t.language.as_str())
    };
    assert_eq!(lang("pt_BR", Some("en_US")), Some("pt_BR"), "exact");
    assert_eq!(lang("id", None), Some("id"), "exact without region");
    assert_eq!(lang("es-MX", Some("en_US")), Some("es"), "base language");
    assert_eq!(
        lang("pt_PT", Some("en_US")),
        Some("pt_BR"),
        "same language, other region"
    );
    assert_eq!(
        lang("en", None),
        Some("en_US"),
        "same language, other region"
    );
    assert_eq!(lang("fr_FR", Some("en-US")), Some("en_US"), "default");
    assert_eq!(lang("fr_FR", None), None, "nothing matches");
    assert_eq!(lang("fr_FR", Some("de")), None, "default not approved");
}

#[test]
fn named_parameter_template() {
    let c = load_ok("named_params.json", &fixture("named_params.json"));
    let t = c.get("order_ready", "en").unwrap();
    assert_eq!(t.parameter_format, ParamFormat::Named);
    assert_eq!(t.param_names(), vec!["order_id", "first_name", "store"]);
    assert_eq!(t.positional_count(), 0);
    let header: Vec<_> = t
        .placeholders
        .iter()
        .filter(|p| p.component == Component::Header)
        .collect();
    assert_eq!(header.len(), 1);
    let paused = c.get("order_ready", "pt_BR").unwrap();
    assert_eq!(paused.status, "PAUSED");
    assert!(paused.is_marketing(), "category per language");
    assert_eq!(c.approved_languages("order_ready"), vec!["en"]);
}

#[test]
fn url_button_placeholders_come_after_body() {
    let c = load_ok("url_button.json", &fixture("url_button.json"));
    let t = c.get("cart_reminder", "en_US").unwrap();
    let order: Vec<_> = t
        .placeholders
        .iter()
        .map(|p| (p.component, p.key.clone()))
        .collect();
    use ParamKey::Positional as P;
    assert_eq!(
        order,
        vec![
            (Component::Header, P(1)),
            (Component::Body, P(1)),
            (Component::Body, P(2)),
            (Component::Body, P(3)),
            (Component::Button(1), P(1)),
        ]
    );
    assert_eq!(t.positional_count(), 5);
    assert_eq!(t.buttons[2].kind, "COPY_CODE");
    let rejected = c.get("cart_reminder", "pt_BR").unwrap();
    assert_eq!(rejected.status, "REJECTED");
    assert!(rejected.has_media_header());
}

#[test]
fn missing_status_names_item_and_keeps_the_rest() {
    let text = fixture("missing_status.json");
    let (c, errors) = load(&[("missing_status.json", &text)]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, CatalogErrorKind::Invalid);
    assert_eq!(
        errors[0].message,
        "item 1 (`seasonal_promotion`, en_US): missing `status`"
    );
    assert!(errors[0]
        .help
        .as_deref()
        .unwrap()
        .contains("create request"));
    assert_eq!(errors[0].line_col, Some((11, 15)));
    assert!(c.get("good", "en").is_some());
    assert!(!c.contains("seasonal_promotion"));
}

#[test]
fn invalid_json_has_a_position() {
    let (_, errors) = load(&[("broken.json", "{\n  \"data\": [\n    {\"name\": }\n  ]\n}")]);
    assert!(
        errors[0].message.starts_with("not valid JSON: "),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].line_col.map(|(line, _)| line), Some(3));
}

#[test]
fn plain_catalog_loads() {
    let c = TemplateCatalog::from_toml("templates.toml", &fixture("templates.toml")).unwrap();
    assert_eq!(c.len(), 4);
    let email = c.get("email", "winback_offer").unwrap();
    assert_eq!(email.subject.as_deref(), Some("We miss you"));
    assert_eq!(email.languages, vec!["en", "es_ES"]);
    assert_eq!(
        email.params,
        TemplateParams::Named(vec!["first_name".into(), "url".into()])
    );
    assert!(email.is_sendable());
    assert!(email.has_language("es-ES") && !email.has_language("fr"));
    assert_eq!(
        c.get("sms", "order_shipped").unwrap().params,
        TemplateParams::Positional(2)
    );
    let viber = c.get("viber", "flash_sale").unwrap();
    assert!(viber.needs_approval && !viber.is_sendable());
    assert_eq!(viber.status.as_deref(), Some("PENDING"));
    assert!(c.get("rcs", "flash_sale").unwrap().is_sendable());
    assert_eq!(c.names("viber").collect::<Vec<_>>(), vec!["flash_sale"]);
    assert!(c.get("email", "order_shipped").is_none());
}

#[test]
fn plain_catalog_unknown_key_has_a_location() {
    let errors =
        TemplateCatalog::from_toml("unknown_key.toml", &fixture("unknown_key.toml")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.starts_with("unknown field `subjet_line`"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].line_col, Some((5, 1)));
    assert!(errors[0]
        .to_string()
        .starts_with("unknown_key.toml:5:1: unknown field"));
}

#[test]
fn plain_catalog_bad_channel() {
    let errors =
        TemplateCatalog::from_toml("bad_channel.toml", &fixture("bad_channel.toml")).unwrap_err();
    assert_eq!(errors[0].message, "unknown channel \"emial\"");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean \"email\"?"));
    assert_eq!(errors[0].line_col, Some((2, 11)));
}

#[test]
fn plain_catalog_duplicate() {
    let text = "[[template]]\nchannel = \"sms\"\nname = \"a\"\n\n[[template]]\nchannel = \"sms\"\nname = \"a\"\n";
    let errors = TemplateCatalog::from_toml("t.toml", text).unwrap_err();
    assert_eq!(errors[0].kind, CatalogErrorKind::Duplicate);
    assert_eq!(errors[0].line_col, Some((7, 8)));
    let first = errors[0].previous.as_deref().unwrap();
    assert_eq!(
        (first.file.as_str(), first.span),
        ("t.toml", Some((36, 39)))
    );
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Cutting and splicing a valid export must give errors, never a panic.
        #[test]
        fn mangled_exports_never_panic(start in 0usize..3000, len in 0usize..200, insert in ".{0,8}") {
            let text = fixture("url_button.json");
            let start = start.min(text.len());
            let end = (start + len).min(text.len());
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                let mangled = format!("{}{insert}{}", &text[..start], &text[end..]);
                let _ = load(&[("m.json", &mangled)]);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = load(&[("a.json", &text)]);
            let _ = TemplateCatalog::from_toml("a.toml", &text);
        }
    }
}

#[test]
fn large_export_loads_quickly() {
    let item = |i: usize| {
        format!(
            r#"{{"name": "t{i}", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
               "components": [{{"type": "BODY", "text": "Hi {{{{1}}}}"}}]}}"#
        )
    };
    let items: Vec<String> = (0..20_000).map(item).collect();
    let text = format!("{{\"data\": [{}]}}", items.join(",\n"));
    let started = std::time::Instant::now();
    let c = load_ok("big.json", &text);
    assert_eq!(c.len(), 20_000);
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn documented_plain_example_loads() {
    let doc = read(&manifest().join("docs/catalogs.md"));
    let start = doc
        .find("# catalog/templates.toml")
        .expect("example in docs/catalogs.md");
    let end = start + doc[start..].find("```").unwrap();
    let c = TemplateCatalog::from_toml("docs/catalogs.md", &doc[start..end]).unwrap();
    assert_eq!(c.len(), 4);
    assert!(!c.get("viber", "flash_sale").unwrap().is_sendable());
}
