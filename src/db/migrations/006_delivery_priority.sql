-- Notifications of urgent bots (the alert rules, SOS, message dispatch, acknowledgements) are
-- claimed before the others that are due: a backlog of aggregate work must not delay an alert.
ALTER TABLE subscription_delivery ADD COLUMN priority smallint NOT NULL DEFAULT 0;
DROP INDEX subscription_delivery_due;
CREATE INDEX subscription_delivery_due ON subscription_delivery (priority DESC, next_attempt_at) WHERE status = 'pending';
