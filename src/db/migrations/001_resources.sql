-- Resources: one row per logical resource (its current version) and one row per version.
-- Every row carries its tenant. Observation gets its own partitions: it holds most rows.

CREATE TABLE resource (
  tenant        text        NOT NULL,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL,
  PRIMARY KEY (tenant, resource_type, id)
) PARTITION BY LIST (resource_type);
CREATE TABLE resource_observation PARTITION OF resource FOR VALUES IN ('Observation');
CREATE TABLE resource_other PARTITION OF resource DEFAULT;
CREATE INDEX resource_type_updated ON resource (tenant, resource_type, last_updated);

-- Every version ever written, including deletions (content NULL). Never updated in place.
CREATE TABLE resource_version (
  tenant        text        NOT NULL,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL,
  method        text        NOT NULL,
  content       text,
  PRIMARY KEY (tenant, resource_type, id, version_id)
) PARTITION BY LIST (resource_type);
CREATE TABLE resource_version_observation PARTITION OF resource_version FOR VALUES IN ('Observation');
CREATE TABLE resource_version_other PARTITION OF resource_version DEFAULT;
CREATE INDEX resource_version_updated ON resource_version (tenant, last_updated);
CREATE INDEX resource_version_type_updated ON resource_version (tenant, resource_type, last_updated);

-- Search index: values extracted at write time from the current version, one table per
-- search parameter type. Rows are replaced on every write and removed on delete.

CREATE TABLE search_token (
  tenant        text NOT NULL,
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  system        text,
  code          text,
  text          text
) PARTITION BY LIST (resource_type);
CREATE TABLE search_token_observation PARTITION OF search_token FOR VALUES IN ('Observation');
CREATE TABLE search_token_other PARTITION OF search_token DEFAULT;
CREATE INDEX search_token_value ON search_token (tenant, resource_type, param, code, system);
CREATE INDEX search_token_owner ON search_token (tenant, resource_type, id);

CREATE TABLE search_string (
  tenant        text NOT NULL,
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  value         text NOT NULL,   -- lower case, accents removed
  exact         text NOT NULL    -- as written
) PARTITION BY LIST (resource_type);
CREATE TABLE search_string_observation PARTITION OF search_string FOR VALUES IN ('Observation');
CREATE TABLE search_string_other PARTITION OF search_string DEFAULT;
CREATE INDEX search_string_value ON search_string (tenant, resource_type, param, value text_pattern_ops);
CREATE INDEX search_string_owner ON search_string (tenant, resource_type, id);

CREATE TABLE search_date (
  tenant        text        NOT NULL,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  param         text        NOT NULL,
  lo            timestamptz NOT NULL,  -- inclusive
  hi            timestamptz NOT NULL   -- exclusive
) PARTITION BY LIST (resource_type);
CREATE TABLE search_date_observation PARTITION OF search_date FOR VALUES IN ('Observation');
CREATE TABLE search_date_other PARTITION OF search_date DEFAULT;
CREATE INDEX search_date_value ON search_date (tenant, resource_type, param, lo, hi);
CREATE INDEX search_date_owner ON search_date (tenant, resource_type, id);

CREATE TABLE search_reference (
  tenant        text NOT NULL,
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  target_type   text,
  target_id     text,
  url           text          -- absolute or canonical references
) PARTITION BY LIST (resource_type);
CREATE TABLE search_reference_observation PARTITION OF search_reference FOR VALUES IN ('Observation');
CREATE TABLE search_reference_other PARTITION OF search_reference DEFAULT;
CREATE INDEX search_reference_value ON search_reference (tenant, resource_type, param, target_id, target_type);
CREATE INDEX search_reference_url ON search_reference (tenant, resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX search_reference_owner ON search_reference (tenant, resource_type, id);

CREATE TABLE search_number (
  tenant        text    NOT NULL,
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  value         numeric NOT NULL
);
CREATE INDEX search_number_value ON search_number (tenant, resource_type, param, value);
CREATE INDEX search_number_owner ON search_number (tenant, resource_type, id);

CREATE TABLE search_quantity (
  tenant        text    NOT NULL,
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  value         numeric NOT NULL,
  system        text,
  code          text,
  unit          text
) PARTITION BY LIST (resource_type);
CREATE TABLE search_quantity_observation PARTITION OF search_quantity FOR VALUES IN ('Observation');
CREATE TABLE search_quantity_other PARTITION OF search_quantity DEFAULT;
CREATE INDEX search_quantity_value ON search_quantity (tenant, resource_type, param, code, value);
CREATE INDEX search_quantity_owner ON search_quantity (tenant, resource_type, id);

CREATE TABLE search_uri (
  tenant        text NOT NULL,
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  value         text NOT NULL
);
CREATE INDEX search_uri_value ON search_uri (tenant, resource_type, param, value text_pattern_ops);
CREATE INDEX search_uri_owner ON search_uri (tenant, resource_type, id);
