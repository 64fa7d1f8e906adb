//! Money: amounts are whole cents (`i64`) inside the handlers, decimal strings
//! (`"12.34"`) at the database boundary, so no amount is ever a float sum.

/// `1234` -> `"12.34"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// A catalogue price (DummyJSON sends floats) in cents.
pub fn to_cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// `percent` of `cents`, rounded half up to the cent. Percentages are taken
/// to two decimals (basis points), as prices list them.
pub fn percent_of(cents: i64, percent: f64) -> i64 {
    let basis_points = (percent * 100.0).round() as i64;
    (cents * basis_points + 5_000).div_euclid(10_000)
}

/// What the shop pays its supplier for a product: the catalogue price less a
/// 40% retail margin, to the cent. Stock rows carry it so purchase orders
/// have a cost.
pub fn wholesale_cost(retail_price: f64) -> f64 {
    (retail_price * 60.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_are_formatted_as_decimals() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(123_456), "1234.56");
        assert_eq!(format_cents(-250), "-2.50");
    }

    #[test]
    fn prices_become_cents_without_float_drift() {
        assert_eq!(to_cents(6.49), 649);
        assert_eq!(to_cents(0.1 + 0.2), 30);
        assert_eq!(to_cents(289.0), 28_900);
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(percent_of(10_000, 8.25), 825);
        assert_eq!(percent_of(1_000, 4.5), 45);
        assert_eq!(percent_of(1, 50.0), 1); // 0.5 cent rounds up
        assert_eq!(percent_of(999, 0.0), 0);
    }

    #[test]
    fn wholesale_cost_is_sixty_percent_to_the_cent() {
        assert_eq!(wholesale_cost(10.0), 6.0);
        assert_eq!(wholesale_cost(6.49), 3.89);
        assert_eq!(wholesale_cost(0.0), 0.0);
    }
}
