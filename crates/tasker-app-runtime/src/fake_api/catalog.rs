//! The fake API's data: products, carts and users from `seed.json` (compiled
//! into the binary), in the shapes DummyJSON sends.
//!
//! The seed keeps carts short (`{"id", "userId", "products": [{"id", "quantity"}]}`);
//! `Catalog::from_seed` fills in titles, prices and totals from the products, so
//! the figures always agree. Users added with `POST /users/add` are kept in
//! memory until the process ends (DummyJSON itself forgets them at once).

use serde::Deserialize;
use serde_json::{Map, Value, json};

const SEED: &str = include_str!("seed.json");

/// DummyJSON's page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 30;

#[derive(Debug, Deserialize)]
struct Seed {
    products: Vec<Map<String, Value>>,
    carts: Vec<SeedCart>,
    users: Vec<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedCart {
    id: i64,
    user_id: i64,
    products: Vec<SeedCartLine>,
}

#[derive(Debug, Deserialize)]
struct SeedCartLine {
    id: i64,
    quantity: i64,
}

/// Everything the fake API serves.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub products: Vec<Value>,
    pub carts: Vec<Value>,
    pub users: Vec<Value>,
}

/// One page of a list, as DummyJSON pages them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<usize>,
    pub skip: Option<usize>,
    /// Comma-separated field names; `id` is always kept.
    pub select: Option<String>,
    /// Search text (`/products/search`, `/users/search`).
    pub q: Option<String>,
}

impl Catalog {
    /// The compiled-in seed data.
    pub fn load() -> anyhow::Result<Catalog> {
        let seed: Seed = serde_json::from_str(SEED)
            .map_err(|e| anyhow::anyhow!("the fake API's seed.json is invalid: {e}"))?;
        Catalog::from_seed(seed)
    }

    fn from_seed(seed: Seed) -> anyhow::Result<Catalog> {
        let products: Vec<Value> = seed.products.into_iter().map(with_derived_fields).collect();
        let carts = seed
            .carts
            .iter()
            .map(|cart| expand_cart(cart, &products))
            .collect::<anyhow::Result<Vec<Value>>>()?;
        let users = seed.users.into_iter().map(Value::Object).collect();
        Ok(Catalog {
            products,
            carts,
            users,
        })
    }

    pub fn product(&self, id: i64) -> Option<&Value> {
        find(&self.products, id)
    }

    pub fn cart(&self, id: i64) -> Option<&Value> {
        find(&self.carts, id)
    }

    pub fn user(&self, id: i64) -> Option<&Value> {
        find(&self.users, id)
    }

    /// Keep a new user (`POST /users/add`) and return it with its id.
    pub fn add_user(&mut self, mut user: Map<String, Value>) -> Value {
        let next_id = self
            .users
            .iter()
            .filter_map(|u| u.get("id").and_then(Value::as_i64))
            .max()
            .unwrap_or(0)
            + 1;
        user.insert("id".to_string(), json!(next_id));
        let user = Value::Object(user);
        self.users.push(user.clone());
        user
    }
}

fn find(items: &[Value], id: i64) -> Option<&Value> {
    items
        .iter()
        .find(|item| item.get("id").and_then(Value::as_i64) == Some(id))
}

/// Products get DummyJSON's `availabilityStatus`, `thumbnail` and `images`.
fn with_derived_fields(mut product: Map<String, Value>) -> Value {
    let stock = product.get("stock").and_then(Value::as_i64).unwrap_or(0);
    let status = match stock {
        0 => "Out of Stock",
        1..=9 => "Low Stock",
        _ => "In Stock",
    };
    product.insert("availabilityStatus".to_string(), json!(status));
    let id = product.get("id").and_then(Value::as_i64).unwrap_or(0);
    let thumbnail = format!("https://cdn.example.com/products/{id}/thumbnail.webp");
    product.insert("images".to_string(), json!([thumbnail.clone()]));
    product.insert("thumbnail".to_string(), json!(thumbnail));
    Value::Object(product)
}

/// A seed cart in DummyJSON's shape: lines with title, price, totals.
fn expand_cart(cart: &SeedCart, products: &[Value]) -> anyhow::Result<Value> {
    let mut lines = Vec::new();
    let (mut total, mut discounted_total, mut quantity_sum) = (0.0_f64, 0.0_f64, 0_i64);
    for line in &cart.products {
        let product = find(products, line.id).ok_or_else(|| {
            anyhow::anyhow!(
                "seed cart {} lists product {}, which does not exist",
                cart.id,
                line.id
            )
        })?;
        let price = product["price"].as_f64().unwrap_or(0.0);
        let discount = product["discountPercentage"].as_f64().unwrap_or(0.0);
        let line_total = cents(price * line.quantity as f64);
        let line_discounted = cents(line_total * (1.0 - discount / 100.0));
        total += line_total;
        discounted_total += line_discounted;
        quantity_sum += line.quantity;
        lines.push(json!({
            "id": line.id,
            "title": product["title"],
            "price": price,
            "quantity": line.quantity,
            "total": line_total,
            "discountPercentage": discount,
            "discountedTotal": line_discounted,
            "thumbnail": product["thumbnail"],
        }));
    }
    Ok(json!({
        "id": cart.id,
        "products": lines,
        "total": cents(total),
        "discountedTotal": cents(discounted_total),
        "userId": cart.user_id,
        "totalProducts": cart.products.len(),
        "totalQuantity": quantity_sum,
    }))
}

fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// `{"<key>": [...], "total", "skip", "limit"}` for one page of `items`.
/// `limit=0` means everything, as on DummyJSON.
pub fn page(key: &str, items: &[&Value], query: &PageQuery) -> Value {
    let skip = query.skip.unwrap_or(0).min(items.len());
    let limit = match query.limit.unwrap_or(DEFAULT_LIMIT) {
        0 => items.len(),
        n => n,
    };
    let fields: Option<Vec<&str>> = query.select.as_deref().map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect()
    });
    let selected: Vec<Value> = items
        .iter()
        .skip(skip)
        .take(limit)
        .map(|item| match &fields {
            Some(fields) => select(item, fields),
            None => (*item).clone(),
        })
        .collect();
    let returned = selected.len();
    let mut body = Map::new();
    body.insert(key.to_string(), Value::Array(selected));
    body.insert("total".to_string(), json!(items.len()));
    body.insert("skip".to_string(), json!(skip));
    body.insert("limit".to_string(), json!(returned));
    Value::Object(body)
}

fn select(item: &Value, fields: &[&str]) -> Value {
    let mut out = Map::new();
    for field in std::iter::once("id").chain(fields.iter().copied()) {
        if let Some(value) = item.get(field) {
            out.insert(field.to_string(), value.clone());
        }
    }
    Value::Object(out)
}

/// Case-insensitive substring search over some string fields.
pub fn matches(item: &Value, fields: &[&str], q: &str) -> bool {
    let q = q.trim().to_lowercase();
    fields.iter().any(|field| {
        item.get(*field)
            .and_then(Value::as_str)
            .is_some_and(|v| v.to_lowercase().contains(&q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_loads_and_carts_add_up() {
        let catalog = Catalog::load().expect("seed");
        assert!(catalog.products.len() >= 20);
        assert!(!catalog.users.is_empty());
        for cart in &catalog.carts {
            let lines = cart["products"].as_array().expect("lines");
            let sum: f64 = lines.iter().map(|l| l["total"].as_f64().unwrap()).sum();
            assert!(
                (sum - cart["total"].as_f64().unwrap()).abs() < 0.005,
                "cart {}",
                cart["id"]
            );
        }
    }

    #[test]
    fn some_products_are_low_in_stock() {
        let catalog = Catalog::load().expect("seed");
        let low = catalog
            .products
            .iter()
            .filter(|p| p["stock"].as_i64().unwrap() < 10)
            .count();
        assert!(low >= 3, "the inventory workflow needs low-stock products");
    }

    #[test]
    fn pages_skip_limit_and_select() {
        let catalog = Catalog::load().expect("seed");
        let all: Vec<&Value> = catalog.products.iter().collect();
        let query = PageQuery {
            limit: Some(5),
            skip: Some(2),
            select: Some("title,stock".into()),
            q: None,
        };
        let page = page("products", &all, &query);
        assert_eq!(page["limit"], 5);
        assert_eq!(page["skip"], 2);
        assert_eq!(page["total"], all.len());
        let first = &page["products"][0];
        assert_eq!(first["id"], 3);
        assert!(first.get("price").is_none());
        assert!(first.get("stock").is_some());

        let everything = super::page(
            "products",
            &all,
            &PageQuery {
                limit: Some(0),
                ..Default::default()
            },
        );
        assert_eq!(everything["limit"], all.len());
    }

    #[test]
    fn new_users_get_the_next_id() {
        let mut catalog = Catalog::load().expect("seed");
        let before = catalog.users.len() as i64;
        let user = catalog.add_user(Map::from_iter([("username".to_string(), json!("new"))]));
        assert_eq!(user["id"], before + 1);
        assert!(catalog.user(before + 1).is_some());
    }
}
