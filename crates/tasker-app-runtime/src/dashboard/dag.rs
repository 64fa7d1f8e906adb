//! A run's DAG as inline SVG: each step a box coloured by its state, an arrow
//! for each edge the engine recorded from the template. Layout: a step's
//! column is its longest path from a root, its row its place in that column,
//! so parallel branches stand side by side and the picture reads left to right.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::html::{esc, state_class};

const BOX_W: usize = 180;
const BOX_H: usize = 44;
const GAP_X: usize = 56;
const GAP_Y: usize = 18;
const PAD: usize = 8;

/// A step as the picture needs it.
pub struct Node<'a> {
    pub id: String,
    pub name: &'a str,
    pub state: &'a str,
}

/// Columns (depth from a root) for each node; a cycle (which the engine
/// refuses anyway) cannot loop: depth is capped at the node count.
fn depths(nodes: &[Node<'_>], edges: &[(usize, usize)]) -> Vec<usize> {
    let mut depth = vec![0usize; nodes.len()];
    for _ in 0..nodes.len() {
        let mut changed = false;
        for &(from, to) in edges {
            if depth[to] < depth[from] + 1 && depth[from] + 1 < nodes.len() {
                depth[to] = depth[from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// The SVG for `nodes` and `edges` (indices into `nodes`).
pub fn svg(nodes: &[Node<'_>], edges: &[(usize, usize)]) -> String {
    if nodes.is_empty() {
        return "<p class=\"muted\">This run has no steps yet.</p>".to_string();
    }
    let depth = depths(nodes, edges);
    let mut row_in_column: HashMap<usize, usize> = HashMap::new();
    let mut place = Vec::with_capacity(nodes.len());
    for d in &depth {
        let row = row_in_column.entry(*d).or_insert(0);
        place.push((*d, *row));
        *row += 1;
    }
    let columns = depth.iter().max().map_or(1, |d| d + 1);
    let rows = row_in_column.values().max().copied().unwrap_or(1);
    let width = PAD * 2 + columns * BOX_W + (columns - 1) * GAP_X;
    let height = PAD * 2 + rows * BOX_H + (rows - 1) * GAP_Y;
    let xy = |i: usize| {
        let (c, r) = place[i];
        (PAD + c * (BOX_W + GAP_X), PAD + r * (BOX_H + GAP_Y))
    };

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"dag\" role=\"img\" aria-label=\"workflow DAG\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>"
    );
    for &(from, to) in edges {
        let (x1, y1) = xy(from);
        let (x2, y2) = xy(to);
        let (x1, y1) = (x1 + BOX_W, y1 + BOX_H / 2);
        let y2 = y2 + BOX_H / 2;
        let mid = (x1 + x2) / 2;
        let _ = write!(
            out,
            "<path class=\"edge\" d=\"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}\" marker-end=\"url(#arrow)\"/>"
        );
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y) = xy(i);
        let name = if node.name.chars().count() > 24 {
            format!("{}…", node.name.chars().take(23).collect::<String>())
        } else {
            node.name.to_string()
        };
        let _ = write!(
            out,
            "<a href=\"#step-{id}\"><g class=\"node {class}\" data-step=\"{name_attr}\" data-state=\"{state}\">\
             <title>{name_attr}: {state}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>\
             <text x=\"{tx}\" y=\"{ty1}\">{name}</text>\
             <text class=\"sub\" x=\"{tx}\" y=\"{ty2}\">{state}</text></g></a>",
            id = esc(&node.id),
            class = state_class(node.state),
            name_attr = esc(node.name),
            state = esc(node.state),
            name = esc(&name),
            tx = x + 10,
            ty1 = y + 19,
            ty2 = y + 35,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node<'a>(name: &'a str, state: &'a str) -> Node<'a> {
        Node {
            id: name.to_string(),
            name,
            state,
        }
    }

    #[test]
    fn a_diamond_is_laid_out_in_three_columns() {
        let nodes = [
            node("validate_cart", "complete"),
            node("check_inventory", "in_progress"),
            node("calculate_pricing", "error"),
            node("create_order", "pending"),
        ];
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3)];
        assert_eq!(depths(&nodes, &edges), vec![0, 1, 1, 2]);
        let svg = svg(&nodes, &edges);
        assert_eq!(svg.matches("class=\"edge\"").count(), 4);
        assert!(
            svg.contains("class=\"node ok\" data-step=\"validate_cart\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"node bad\" data-step=\"calculate_pricing\""),
            "{svg}"
        );
        // Three columns wide, two rows high.
        let width = PAD * 2 + 3 * BOX_W + 2 * GAP_X;
        let height = PAD * 2 + 2 * BOX_H + GAP_Y;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {width} {height}\"")),
            "{svg}"
        );
    }

    #[test]
    fn names_are_escaped_and_a_cycle_does_not_hang() {
        let nodes = [node("<a>", "pending"), node("b", "pending")];
        let svg = svg(&nodes, &[(0, 1), (1, 0)]);
        assert!(svg.contains("&lt;a&gt;") && !svg.contains("<a>:"), "{svg}");
    }
}
