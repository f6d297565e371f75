-- What PostGraphile needs to answer the catalogue and product reads over our tables, applied
-- to the benchmark database only. Region codes and product references are kept by the service
-- rather than by foreign keys, so smart tags name those relations; the catalogue's subtree
-- filter and newest-first order become one function, as PostGraphile's own way to expose a
-- filter its conditions cannot express. Newest first (by UUIDv7 id), as our default.
COMMENT ON TABLE products IS E'@foreignKey (region_code) references regions (code)';
COMMENT ON TABLE producers IS E'@foreignKey (region_code) references regions (code)';
COMMENT ON TABLE certifications IS E'@foreignKey (product_id) references products (id)';
COMMENT ON TABLE price_history IS E'@foreignKey (product_id) references products (id)';

CREATE OR REPLACE FUNCTION catalogue(category text, region text) RETURNS SETOF products
LANGUAGE sql STABLE AS $$
  SELECT * FROM products p
  WHERE p.listed AND p.category = catalogue.category
    AND p.region_code >= catalogue.region AND p.region_code < catalogue.region || 'A'
  ORDER BY p.id DESC
$$;
