-- Catalog: products and their options; stock lives on the option.

-- Trigram indexes serve "name contains" searches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE products (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seller_id   bigint NOT NULL REFERENCES users (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  category    text NOT NULL CHECK (length(category) BETWEEN 1 AND 50),
  price       integer NOT NULL CONSTRAINT products_price_valid CHECK (price > 0 AND price % 100 = 0),
  status      text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISCONTINUED')),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE product_options (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id     bigint NOT NULL REFERENCES products (id),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  total_stock    integer NOT NULL CHECK (total_stock >= 0),
  reserved_stock integer NOT NULL DEFAULT 0 CHECK (reserved_stock >= 0),
  sold_quantity  integer NOT NULL DEFAULT 0 CHECK (sold_quantity >= 0),
  -- The last line of defence against overselling: nothing can hold more than the shop has.
  CONSTRAINT product_options_reserved_within_total CHECK (total_stock >= reserved_stock),
  CONSTRAINT product_options_name_per_product UNIQUE (product_id, name)
);

CREATE INDEX product_options_by_product ON product_options (product_id, id);

-- One index per list order, each ending in id so ties are stable and pages never overlap.
CREATE INDEX products_newest ON products (created_at DESC, id DESC);
CREATE INDEX products_by_price ON products (price, id);
CREATE INDEX products_category_newest ON products (category, created_at DESC, id DESC);
CREATE INDEX products_category_price ON products (category, price, id);
CREATE INDEX products_status_newest ON products (status, created_at DESC, id DESC);
CREATE INDEX products_status_price ON products (status, price, id);
CREATE INDEX products_name_trigram ON products USING gin (lower(name) gin_trgm_ops);
CREATE INDEX products_by_seller ON products (seller_id);

-- No option holds more than MAX_STOCK (src/domain/catalog/stock.ts); the columns stay far from overflow.
ALTER TABLE product_options ADD CONSTRAINT product_options_total_within_max CHECK (total_stock <= 1000000000);

-- Prices stay within MAX_PRICE (src/domain/catalog/price.ts).
ALTER TABLE products ADD CONSTRAINT products_price_within_max CHECK (price <= 1000000000);
