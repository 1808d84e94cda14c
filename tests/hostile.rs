use trig::diag::FileId;
use trig::syntax::parse_file;

fn run_small_stack(src: String) -> (usize, Vec<String>) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (f, d) = parse_file(&src, FileId(0));
            (f.rules.len(), d.iter().map(|d| format!("{} {} @{:?}", d.code, d.message, d.span)).collect())
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn nots() {
    let src = format!("when a if {}x.y then send sms \"x\"", "not ".repeat(100_000));
    println!("{:?}", run_small_stack(src));
}
#[test]
fn negs() {
    let src = format!("when a if {}x.y == 1 then send sms \"x\"", "- ".repeat(100_000));
    println!("{:?}", run_small_stack(src));
}
#[test]
fn plus() {
    let src = format!("when a if x.y == 1{} then send sms \"x\"", "+1".repeat(500_000));
    println!("{:?}", run_small_stack(src));
}
#[test]
fn parens() {
    let src = format!("when a if {}x.y then send sms \"x\"", "(".repeat(10_000));
    println!("{:?}", run_small_stack(src));
}
#[test]
fn parens_1mb() {
    let src = "(".repeat(1_000_000);
    println!("{:?}", run_small_stack(src));
}
