-- The cart's hot paths in one round trip each (issue 13): reading a cart, adding to it and the checkout's write
-- are single statements instead of interactive transactions of five to eight.

-- Every change of a cart row counts up `version`: a checkout reads the cart without a lock, builds and
-- validates its order-requested, then writes only if the version it read is still the cart's (else it reads
-- again), so no edit made in between can slip past the published request.
ALTER TABLE "cart"."carts" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0;

-- A cart as the API shows it (lines oldest first), with what the hot paths need besides: its version and
-- whether it is the customer's current cart.
CREATE FUNCTION cart.cart_json(p_cart_id uuid) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'cart_id', c.cart_id, 'customer_id', c.customer_id, 'current', c.current_for IS NOT NULL,
    'status', c.status, 'cart_locked', c.cart_locked, 'currency', c.currency, 'request_id', c.request_id,
    'order_id', c.order_id, 'rejection', c.rejection, 'created_at', c.created_at, 'updated_at', c.updated_at,
    'version', c.version,
    'items', coalesce((
      SELECT json_agg(json_build_object('product_sku', i.product_sku, 'name', i.name, 'quantity', i.quantity,
                                        'unit_price_cents', i.unit_price_cents, 'added_at', i.added_at)
                      ORDER BY i.added_at, i.product_sku)
      FROM cart.cart_items i WHERE i.cart_id = c.cart_id), '[]'::json))
  FROM cart.carts c WHERE c.cart_id = p_cart_id
$$;

-- The cart a customer sees: the current one, else the newest (an ordered cart stays visible until the next
-- add); NULL when the customer never had one.
CREATE FUNCTION cart.shown_cart(p_customer_id uuid) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT cart.cart_json(coalesce(
    (SELECT cart_id FROM cart.carts WHERE current_for = p_customer_id),
    (SELECT cart_id FROM cart.carts WHERE customer_id = p_customer_id ORDER BY created_at DESC, cart_id DESC LIMIT 1)))
$$;

-- `POST /cart/items`, whole: the product from the cart's catalog, the current cart locked (created when there
-- is none), the rules, the line, the cart row and the change notice. A refusal raises (SQLSTATE P0001, the
-- refusal's name as message, its facts as JSON in DETAIL), so a cart created on the way rolls back with it.
-- Without `p_new_cart_id` and no current cart it returns `{"new_cart_generation": n}` instead, writing
-- nothing: the caller names the new cart (a name-based id of the customer and n) and calls again.
CREATE FUNCTION cart.add_item(p_customer_id uuid, p_sku text, p_quantity integer, p_max_line integer,
                              p_max_total bigint, p_new_cart_id uuid) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  v_product cart.products%ROWTYPE;
  v_cart cart.carts%ROWTYPE;
  v_line integer;
  v_others_total bigint;
  v_has_others boolean;
BEGIN
  SELECT * INTO v_product FROM cart.products WHERE sku = p_sku;
  IF NOT FOUND OR NOT v_product.active THEN
    RAISE EXCEPTION 'unknown_product' USING DETAIL = json_build_object('sku', p_sku)::text;
  END IF;
  SELECT * INTO v_cart FROM cart.carts WHERE current_for = p_customer_id FOR UPDATE;
  IF NOT FOUND THEN
    IF p_new_cart_id IS NULL THEN
      RETURN json_build_object('new_cart_generation', (SELECT count(*) FROM cart.carts WHERE customer_id = p_customer_id));
    END IF;
    -- A concurrent add may create the cart first: this insert then waits for it and does nothing. The
    -- name-based id is taken only if carts were removed behind our back; any fresh id does then.
    INSERT INTO cart.carts (cart_id, customer_id, current_for, status) VALUES (p_new_cart_id, p_customer_id, p_customer_id, 'open')
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      INSERT INTO cart.carts (cart_id, customer_id, current_for, status) VALUES (gen_random_uuid(), p_customer_id, p_customer_id, 'open')
      ON CONFLICT DO NOTHING;
    END IF;
    SELECT * INTO v_cart FROM cart.carts WHERE current_for = p_customer_id FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no current cart for customer % after creating one', p_customer_id USING ERRCODE = 'XX000';
    END IF;
  END IF;
  IF v_cart.status = 'pending' THEN
    RAISE EXCEPTION 'pending' USING DETAIL = json_build_object('cart_id', v_cart.cart_id)::text;
  END IF;
  SELECT coalesce(max(quantity) FILTER (WHERE product_sku = p_sku), 0),
         coalesce(sum(quantity::bigint * unit_price_cents) FILTER (WHERE product_sku <> p_sku), 0),
         count(*) FILTER (WHERE product_sku <> p_sku) > 0
    INTO v_line, v_others_total, v_has_others
    FROM cart.cart_items WHERE cart_id = v_cart.cart_id;
  IF v_has_others AND v_cart.currency <> v_product.currency THEN
    RAISE EXCEPTION 'currency_mismatch' USING DETAIL = json_build_object('sku', v_product.sku, 'product_currency', v_product.currency, 'cart_currency', v_cart.currency)::text;
  END IF;
  v_line := v_line + p_quantity;
  IF v_line > p_max_line THEN
    RAISE EXCEPTION 'line_too_large' USING DETAIL = json_build_object('quantity', v_line, 'max', p_max_line)::text;
  END IF;
  IF v_others_total + v_line::bigint * v_product.price_cents > p_max_total THEN
    RAISE EXCEPTION 'total_too_large' USING DETAIL = '{}';
  END IF;
  INSERT INTO cart.cart_items AS i (cart_id, product_sku, name, quantity, unit_price_cents)
  VALUES (v_cart.cart_id, v_product.sku, v_product.name, v_line, v_product.price_cents)
  ON CONFLICT (cart_id, product_sku) DO UPDATE SET name = EXCLUDED.name, quantity = EXCLUDED.quantity, unit_price_cents = EXCLUDED.unit_price_cents;
  -- Editing a stock-unavailable cart returns it to open and clears the rejection (DESIGN.md).
  UPDATE cart.carts SET status = 'open', cart_locked = false, rejection = NULL, currency = v_product.currency,
                        updated_at = now(), version = version + 1
   WHERE cart_id = v_cart.cart_id;
  PERFORM pg_notify('cart_changes', p_customer_id::text);
  RETURN json_build_object('cart', cart.cart_json(v_cart.cart_id));
END
$$;
