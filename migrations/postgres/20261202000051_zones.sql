-- Delivery zones (issue 13): the districts each seller delivers to and the fee for each
-- (minor units); an order may name the district it is delivered to. Orders placed before
-- have none and keep today's behaviour.
CREATE TABLE seller_zones (
    seller_id BIGINT NOT NULL REFERENCES users (id),
    district  TEXT   NOT NULL,
    fee       BIGINT NOT NULL CHECK (fee >= 0),
    PRIMARY KEY (seller_id, district)
);
ALTER TABLE orders ADD COLUMN delivery_district TEXT;
