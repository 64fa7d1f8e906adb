//! `calculate_pricing`: price the validated cart. Pure arithmetic in cents,
//! so the same cart always costs the same; runs beside `check_inventory`.
//!
//! The rules, in order (each applied one appears in the result's `rules`):
//! 1. Product discount: each line loses its product's `discountPercentage`.
//! 2. Volume discount on the discounted merchandise: 5% from $500, 10% from $1,000.
//! 3. Shipping: free from $100 of merchandise (after discounts); otherwise
//!    $5.99 plus $1.00 per unit after the first, at most $14.99.
//! 4. Sales tax: 8.25% of the merchandise after discounts (shipping untaxed).

use serde::{Deserialize, Serialize};

use super::validate_cart::{CartLine, ValidatedCart};
use tasker_app_runtime::money::{format_cents, percent_of};
use tasker_app_runtime::prelude::*;

pub const CURRENCY: &str = "USD";
/// Volume discount tiers: (merchandise from, in cents; percent off).
pub const VOLUME_TIERS: [(i64, f64); 2] = [(100_000, 10.0), (50_000, 5.0)];
pub const FREE_SHIPPING_FROM_CENTS: i64 = 10_000;
pub const SHIPPING_BASE_CENTS: i64 = 599;
pub const SHIPPING_PER_EXTRA_UNIT_CENTS: i64 = 100;
pub const SHIPPING_CAP_CENTS: i64 = 1_499;
pub const SALES_TAX_PERCENT: f64 = 8.25;

/// The result of `calculate_pricing`; amounts in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    pub currency: String,
    pub lines: Vec<PricedLine>,
    /// Sum of unit price x quantity, before any discount.
    pub subtotal_cents: i64,
    pub product_discount_cents: i64,
    pub volume_discount_cents: i64,
    pub discount_total_cents: i64,
    pub shipping_cents: i64,
    pub tax_cents: i64,
    pub grand_total_cents: i64,
    /// The rules that changed the price, in words.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedLine {
    pub product_id: i64,
    pub title: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub discount_cents: i64,
    /// unit price x quantity - discount
    pub line_total_cents: i64,
}

/// Price `lines` by the rules above.
pub fn price(lines: &[CartLine]) -> Pricing {
    let mut rules = Vec::new();
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|line| {
            let gross = line.unit_price_cents * line.quantity;
            let discount = percent_of(gross, line.discount_percent);
            PricedLine {
                product_id: line.product_id,
                title: line.title.clone(),
                unit_price_cents: line.unit_price_cents,
                quantity: line.quantity,
                discount_cents: discount,
                line_total_cents: gross - discount,
            }
        })
        .collect();

    let subtotal: i64 = priced.iter().map(|l| l.unit_price_cents * l.quantity).sum();
    let product_discount: i64 = priced.iter().map(|l| l.discount_cents).sum();
    if product_discount > 0 {
        rules.push(format!(
            "product discounts: -{}",
            format_cents(product_discount)
        ));
    }

    let after_products = subtotal - product_discount;
    let volume_discount = match VOLUME_TIERS
        .iter()
        .find(|(from, _)| after_products >= *from)
    {
        Some((from, percent)) => {
            let amount = percent_of(after_products, *percent);
            rules.push(format!(
                "volume discount {percent}% from {}: -{}",
                format_cents(*from),
                format_cents(amount)
            ));
            amount
        }
        None => 0,
    };
    let merchandise = after_products - volume_discount;

    let units: i64 = priced.iter().map(|l| l.quantity).sum();
    let shipping = if merchandise >= FREE_SHIPPING_FROM_CENTS {
        rules.push(format!(
            "free shipping from {}",
            format_cents(FREE_SHIPPING_FROM_CENTS)
        ));
        0
    } else {
        let cost = (SHIPPING_BASE_CENTS + SHIPPING_PER_EXTRA_UNIT_CENTS * (units - 1).max(0))
            .min(SHIPPING_CAP_CENTS);
        rules.push(format!(
            "shipping for {units} unit(s): {}",
            format_cents(cost)
        ));
        cost
    };

    let tax = percent_of(merchandise, SALES_TAX_PERCENT);
    rules.push(format!(
        "sales tax {SALES_TAX_PERCENT}%: {}",
        format_cents(tax)
    ));

    Pricing {
        currency: CURRENCY.to_string(),
        lines: priced,
        subtotal_cents: subtotal,
        product_discount_cents: product_discount,
        volume_discount_cents: volume_discount,
        discount_total_cents: product_discount + volume_discount,
        shipping_cents: shipping,
        tax_cents: tax,
        grand_total_cents: merchandise + shipping + tax,
        rules,
    }
}

#[derive(Debug, Default)]
pub struct CalculatePricing;

impl Step for CalculatePricing {
    const NAME: &'static str = "ecommerce.calculate_pricing";

    async fn run(&self, input: StepInput<'_>, _ctx: &AppContext) -> StepResult {
        let cart: ValidatedCart = input.dependency("validate_cart")?;
        output(&price(&cart.lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        product_id: i64,
        unit_price_cents: i64,
        quantity: i64,
        discount_percent: f64,
    ) -> CartLine {
        CartLine {
            product_id,
            title: format!("product {product_id}"),
            unit_price_cents,
            quantity,
            discount_percent,
        }
    }

    #[test]
    fn a_small_order_pays_shipping_and_tax() {
        // 2 x $6.49 at 4.5% off, 1 x $24.50 at 12% off
        let p = price(&[line(1, 649, 2, 4.5), line(3, 2450, 1, 12.0)]);
        assert_eq!(p.subtotal_cents, 3748);
        assert_eq!(p.lines[0].discount_cents, 58); // 4.5% of 12.98 = 0.5841
        assert_eq!(p.lines[1].discount_cents, 294); // 12% of 24.50
        assert_eq!(p.product_discount_cents, 352);
        assert_eq!(p.volume_discount_cents, 0);
        assert_eq!(p.shipping_cents, 599 + 2 * 100);
        assert_eq!(p.tax_cents, 280); // 8.25% of 33.96 = 2.8017
        assert_eq!(p.grand_total_cents, 3396 + 799 + 280);
    }

    #[test]
    fn shipping_is_free_from_one_hundred_dollars() {
        let p = price(&[line(14, 12_900, 1, 0.0)]);
        assert_eq!(p.shipping_cents, 0);
        assert!(p.rules.iter().any(|r| r.starts_with("free shipping")));
    }

    #[test]
    fn shipping_is_capped() {
        let p = price(&[line(19, 100, 40, 0.0)]);
        assert_eq!(p.shipping_cents, SHIPPING_CAP_CENTS);
    }

    #[test]
    fn volume_discounts_take_the_highest_tier_reached() {
        let five = price(&[line(23, 60_000, 1, 0.0)]);
        assert_eq!(five.volume_discount_cents, 3_000);
        let ten = price(&[line(23, 60_000, 2, 0.0)]);
        assert_eq!(ten.volume_discount_cents, 12_000);
        assert_eq!(ten.discount_total_cents, 12_000);
        // tax on the discounted merchandise: 8.25% of 1080.00
        assert_eq!(ten.tax_cents, 8_910);
        assert_eq!(ten.grand_total_cents, 108_000 + 8_910);
    }

    #[test]
    fn the_volume_tier_looks_at_the_price_after_product_discounts() {
        // $520 before a 10% product discount is $468 after: no volume discount.
        let p = price(&[line(1, 52_000, 1, 10.0)]);
        assert_eq!(p.volume_discount_cents, 0);
    }

    #[test]
    fn totals_add_up() {
        let p = price(&[
            line(1, 1_999, 3, 7.5),
            line(2, 45_550, 1, 8.0),
            line(3, 1, 9, 0.0),
        ]);
        let lines: i64 = p.lines.iter().map(|l| l.line_total_cents).sum();
        assert_eq!(lines, p.subtotal_cents - p.product_discount_cents);
        assert_eq!(
            p.grand_total_cents,
            p.subtotal_cents - p.discount_total_cents + p.shipping_cents + p.tax_cents
        );
    }
}
