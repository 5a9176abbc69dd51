-- A token's code nearly always comes with one system and one parameter: LOINC codes under code,
-- 'aggregate' under category with Serium's system. PostgreSQL multiplies the columns'
-- selectivities as if they were independent, and then expects a handful of rows where thousands
-- match: a search restricted to a few ids (as the subscription matcher's are) was driven from the
-- token index instead of from the ids, and grew with every aggregate stored. Statistics on the
-- columns together give it the real figure.
CREATE STATISTICS search_token_observation_psc (mcv, dependencies) ON param, system, code FROM search_token_observation;
CREATE STATISTICS search_token_other_psc (mcv, dependencies) ON param, system, code FROM search_token_other;
CREATE STATISTICS observation_index_sc (mcv, dependencies) ON system, code FROM observation_index;
