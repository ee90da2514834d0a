-- The order status 'expired' (issue 12): the CHECK constraint gains it.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'invoiced', 'delivered', 'expired'));
