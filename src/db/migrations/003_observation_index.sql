-- Observation search, denormalised: one row per distinct coding of Observation.code, carrying
-- the subject, the categories and the effective time, so the common questions (one patient, one
-- code, a time window; the newest readings per code) are one index range scan. Written with the
-- generic index rows, in the same statement, from the same extracted values; removed on delete.

CREATE TABLE observation_index (
  tenant      text        NOT NULL,
  id          text        NOT NULL,
  target_type text,                  -- Observation.subject
  target_id   text,
  system      text,                  -- one coding of Observation.code (NULL code: none coded)
  code        text,
  codes       text[],                -- on one row per Observation only: every 'system|code' of its code, sorted
  categories  text[]      NOT NULL,  -- the codes of Observation.category, without their systems
  lo          timestamptz,           -- Observation.effective[x], inclusive
  hi          timestamptz            -- exclusive
);

-- subject + code + time window; $lastn walks it backwards per code and filters on what it includes
CREATE INDEX observation_index_subject_code_time
  ON observation_index (tenant, target_id, code, lo) INCLUDE (target_type, system, hi, categories, id);
-- one code over all subjects (counts)
CREATE INDEX observation_index_code ON observation_index (tenant, code, system);
-- the distinct code sets of one subject ($lastn grouping), found by skipping through this index
CREATE INDEX observation_index_subject_codes ON observation_index (tenant, target_id, codes) WHERE codes IS NOT NULL;
CREATE INDEX observation_index_owner ON observation_index (tenant, id);
