//! Sources shared by several test files.

/// The full form of a rule, exactly as LANGUAGE.md writes it (a macro so
/// that tests can `concat!` it into larger sources).
#[macro_export]
macro_rules! full_form {
    () => {
        r#"rule cart_reminder:
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
"#
    };
}
