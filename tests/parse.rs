use trig::diag::{FileId, SourceFile};
use trig::syntax::parse_file;

#[test]
fn dump() {
    let cases = std::fs::read_to_string("/tmp/scr/cases.txt").unwrap();
    for case in cases.split("\n---\n") {
        let src = case.replace("\\r", "\r");
        let (f, d) = parse_file(&src, FileId(0));
        let sf = SourceFile::new("x", src.clone());
        println!("=== {src:?}\nrules: {}", f.rules.len());
        for x in &d {
            let lc = sf.line_col(x.span.start);
            println!("  {} {}:{} {:?} msg={} | label={:?} | help={:?}", x.code, lc.line, lc.column, &src[x.span.start..x.span.end], x.message, x.label, x.help);
        }
        if std::env::var("AST").is_ok() { println!("{:#?}", f); }
    }
}
