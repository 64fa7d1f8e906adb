-- The application's own domain tables, in schema `app`.
--
-- Every row a workflow step writes carries the engine's task_uuid, and the
-- functions in db/functions/ use it (or a natural key that includes it) to make
-- their writes idempotent: a step that is retried after a crash or a timeout
-- finds its earlier write instead of making a second one.
--
-- Engine objects live in schema `tasker`; the views in db/views/ join the two.

CREATE SCHEMA IF NOT EXISTS app;

-- ---------------------------------------------------------------------------
-- Stock (inventory/stock_management writes counts, ecommerce reserves)
-- ---------------------------------------------------------------------------

CREATE TABLE app.product_stock (
    warehouse           text        NOT NULL,
    product_id          integer     NOT NULL,
    sku                 text,
    title               text        NOT NULL,
    supplier            text        NOT NULL DEFAULT 'unassigned',
    unit_cost           numeric(12, 2) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    on_hand             integer     NOT NULL CHECK (on_hand >= 0),
    reserved            integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    min_order_quantity  integer     NOT NULL DEFAULT 1 CHECK (min_order_quantity >= 1),
    last_counted_at     timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (warehouse, product_id)
);

COMMENT ON TABLE app.product_stock IS
    'Units per product and warehouse. on_hand comes from the external catalogue '
    '(a stock count); reserved is held by open orders. available = on_hand - reserved.';

-- One row per product seen by each stock-monitoring run: the history behind the reports.
CREATE TABLE app.stock_level_snapshots (
    task_uuid    uuid        NOT NULL,
    warehouse    text        NOT NULL,
    product_id   integer     NOT NULL,
    on_hand      integer     NOT NULL,
    reserved     integer     NOT NULL,
    captured_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_uuid, warehouse, product_id)
);

CREATE TABLE app.stock_reservations (
    reservation_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_uuid       uuid        NOT NULL,
    warehouse       text        NOT NULL,
    product_id      integer     NOT NULL,
    quantity        integer     NOT NULL CHECK (quantity > 0),
    status          text        NOT NULL DEFAULT 'held'
                    CHECK (status IN ('held', 'committed', 'released')),
    order_id        bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_uuid, warehouse, product_id),
    FOREIGN KEY (warehouse, product_id) REFERENCES app.product_stock (warehouse, product_id)
);

CREATE INDEX stock_reservations_held_idx
    ON app.stock_reservations (warehouse, product_id) WHERE status = 'held';

-- ---------------------------------------------------------------------------
-- Orders (ecommerce/order_processing)
-- ---------------------------------------------------------------------------

CREATE TABLE app.orders (
    order_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_number      text GENERATED ALWAYS AS ('ORD-' || lpad(order_id::text, 6, '0')) STORED,
    task_uuid         uuid        NOT NULL UNIQUE,
    cart_id           integer     NOT NULL,
    customer_email    text        NOT NULL,
    external_user_id  integer,
    warehouse         text        NOT NULL,
    status            text        NOT NULL DEFAULT 'placed'
                      CHECK (status IN ('placed', 'confirmed', 'cancelled')),
    currency          text        NOT NULL DEFAULT 'USD',
    subtotal          numeric(12, 2) NOT NULL CHECK (subtotal >= 0),
    discount_total    numeric(12, 2) NOT NULL CHECK (discount_total >= 0),
    shipping_total    numeric(12, 2) NOT NULL CHECK (shipping_total >= 0),
    tax_total         numeric(12, 2) NOT NULL CHECK (tax_total >= 0),
    grand_total       numeric(12, 2) NOT NULL CHECK (grand_total >= 0),
    pricing_rules     jsonb       NOT NULL DEFAULT '[]'::jsonb,
    placed_at         timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    confirmation_notification_id bigint
);

CREATE INDEX orders_customer_email_idx ON app.orders (lower(customer_email));

CREATE TABLE app.order_lines (
    order_id        bigint      NOT NULL REFERENCES app.orders (order_id) ON DELETE CASCADE,
    line_number     integer     NOT NULL CHECK (line_number > 0),
    product_id      integer     NOT NULL,
    title           text        NOT NULL,
    unit_price      numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    quantity        integer     NOT NULL CHECK (quantity > 0),
    discount_amount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    line_total      numeric(12, 2) NOT NULL CHECK (line_total >= 0),
    PRIMARY KEY (order_id, line_number)
);

ALTER TABLE app.stock_reservations
    ADD CONSTRAINT stock_reservations_order_fk
    FOREIGN KEY (order_id) REFERENCES app.orders (order_id);

-- ---------------------------------------------------------------------------
-- Purchase orders and reports (inventory/stock_management)
-- ---------------------------------------------------------------------------

CREATE TABLE app.purchase_orders (
    purchase_order_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_number          text GENERATED ALWAYS AS ('PO-' || lpad(purchase_order_id::text, 6, '0')) STORED,
    task_uuid          uuid        NOT NULL,
    warehouse          text        NOT NULL,
    supplier           text        NOT NULL,
    status             text        NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'received', 'cancelled')),
    total_cost         numeric(12, 2) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_uuid, supplier)
);

CREATE TABLE app.purchase_order_lines (
    purchase_order_id  bigint  NOT NULL REFERENCES app.purchase_orders (purchase_order_id) ON DELETE CASCADE,
    product_id         integer NOT NULL,
    title              text    NOT NULL,
    quantity           integer NOT NULL CHECK (quantity > 0),
    unit_cost          numeric(12, 2) NOT NULL CHECK (unit_cost >= 0),
    line_cost          numeric(12, 2) NOT NULL CHECK (line_cost >= 0),
    PRIMARY KEY (purchase_order_id, product_id)
);

CREATE TABLE app.inventory_reports (
    report_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_uuid             uuid        NOT NULL UNIQUE,
    warehouse             text        NOT NULL,
    threshold             integer     NOT NULL,
    products_counted      integer     NOT NULL,
    low_stock_count       integer     NOT NULL,
    purchase_order_count  integer     NOT NULL,
    units_ordered         integer     NOT NULL,
    notification_id       bigint,
    summary               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- Notifications outbox (order confirmations, warehouse alerts, welcome emails)
-- ---------------------------------------------------------------------------

CREATE TABLE app.notifications (
    notification_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_uuid        uuid        NOT NULL,
    channel          text        NOT NULL CHECK (channel IN ('email', 'warehouse')),
    template         text        NOT NULL,
    recipient        text        NOT NULL,
    subject          text        NOT NULL,
    body             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'failed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_uuid, template, recipient)
);

COMMENT ON TABLE app.notifications IS
    'Outbox: messages the workflows decided to send. A mailer or the warehouse '
    'system drains rows with status = queued.';

-- ---------------------------------------------------------------------------
-- Customers (customer/user_onboarding)
-- ---------------------------------------------------------------------------

CREATE TABLE app.customers (
    customer_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_uuid         uuid        NOT NULL UNIQUE,
    email             text        NOT NULL,
    username          text        NOT NULL,
    full_name         text,
    plan              text        NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    external_user_id  integer,
    status            text        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'active', 'suspended')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    onboarded_at      timestamptz,
    welcome_notification_id bigint REFERENCES app.notifications (notification_id)
);

CREATE UNIQUE INDEX customers_email_key ON app.customers (lower(email));
CREATE UNIQUE INDEX customers_username_key ON app.customers (lower(username));

CREATE TABLE app.customer_preferences (
    customer_id           bigint  PRIMARY KEY REFERENCES app.customers (customer_id) ON DELETE CASCADE,
    newsletter_opt_in     boolean NOT NULL,
    notification_channel  text    NOT NULL CHECK (notification_channel IN ('email', 'sms', 'none')),
    locale                text    NOT NULL,
    timezone              text    NOT NULL,
    features              jsonb   NOT NULL DEFAULT '{}'::jsonb,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE app.orders
    ADD CONSTRAINT orders_confirmation_notification_fk
    FOREIGN KEY (confirmation_notification_id) REFERENCES app.notifications (notification_id);

ALTER TABLE app.inventory_reports
    ADD CONSTRAINT inventory_reports_notification_fk
    FOREIGN KEY (notification_id) REFERENCES app.notifications (notification_id);
