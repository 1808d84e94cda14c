use trig::syntax::parse_rules;

#[test]
fn smoke() {
    let src = r#"
# The one-line form must work exactly as written:
when cart.abandoned for 2h and not purchased then send whatsapp template "cart_reminder"

rule cart_reminder:
  when cart.abandoned as cart where cart.value >= 20
   for 2h
   and not order.completed where event.cart_id == cart.cart_id
  unless customer.unsubscribed
  then send whatsapp template "cart_reminder" lang customer.locale
         with (customer.first_name ?? "there", cart.url)
  fallback sms "Your cart is waiting: {cart.url} Reply STOP to opt out"
  key cart.cart_id
  limit 1 per 24h
  quiet 21:00-09:00
"#;
    match parse_rules(src) {
        Ok(f) => println!("{:#?}", f),
        Err(d) => panic!("{:#?}", d),
    }
}
