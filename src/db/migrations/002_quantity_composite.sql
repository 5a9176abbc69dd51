-- UCUM-aware quantity search and composite search parameters.

-- A UCUM quantity (system http://unitsofmeasure.org, or no system and a code UCUM parses) also
-- keeps its value in UCUM base units and those units ("g" for 70 kg, "g.m-3" for 100 mg/dL), so a
-- search in any commensurable unit compares like with like. NULL for other systems and for units
-- without a linear conversion ([IU], [pH]): those match by their exact code only. Rows written
-- before this migration get the columns on their resource's next write.
ALTER TABLE search_quantity ADD COLUMN canonical_value numeric, ADD COLUMN canonical_code text;
CREATE INDEX search_quantity_canonical ON search_quantity (tenant, resource_type, param, canonical_code, canonical_value)
  WHERE canonical_code IS NOT NULL;

-- Composite parameters: one row per pair of values found in the same element (one
-- Observation.component, the Observation itself, one useContext), so both parts of a search
-- value must match the same element. The first component is a token; the second is a token, a
-- quantity, a date or a string, in the columns of its type (the others NULL).
CREATE TABLE search_composite (
  tenant            text NOT NULL,
  resource_type     text NOT NULL,
  id                text NOT NULL,
  param             text NOT NULL,
  system            text,          -- the token component
  code              text NOT NULL,
  v_system          text,          -- token: system and code; quantity: its system and code
  v_code            text,
  v_value           numeric,       -- quantity, as written
  v_unit            text,
  v_canonical_value numeric,       -- quantity in UCUM base units, as in search_quantity
  v_canonical_code  text,
  v_lo              timestamptz,   -- date, inclusive
  v_hi              timestamptz,   -- exclusive
  v_string          text,          -- string: lower case, accents removed
  v_exact           text           -- string as written
) PARTITION BY LIST (resource_type);
CREATE TABLE search_composite_observation PARTITION OF search_composite FOR VALUES IN ('Observation');
CREATE TABLE search_composite_other PARTITION OF search_composite DEFAULT;
-- the token part selects; the second part is checked on the rows of that code
CREATE INDEX search_composite_value ON search_composite (tenant, resource_type, param, code, system);
CREATE INDEX search_composite_quantity ON search_composite (tenant, resource_type, param, code, v_canonical_code, v_canonical_value)
  WHERE v_canonical_code IS NOT NULL;
CREATE INDEX search_composite_owner ON search_composite (tenant, resource_type, id);
