-- The alerting Subscriptions (those of urgent bots) are matched by a pass of their own that runs
-- ahead of the others: it records their deliveries and marks the event, and the pass that matches
-- every other Subscription (and deletes the event) skips them for a marked event. An emergency
-- reading is then never queued behind the matching of aggregate work.
ALTER TABLE resource_event ADD COLUMN urgent_matched boolean NOT NULL DEFAULT false;
CREATE INDEX resource_event_urgent ON resource_event (seq) WHERE NOT urgent_matched;

-- A delivery's priority now names its sending lane: 1 for urgent bots, 0 for endpoints outside
-- (rest-hook, websocket, email), -1 for the other bots. Rows queued before keep 0 and are sent as before.
